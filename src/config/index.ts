export { loadConfig, loadEnv, loadFeedsFile, type Config, type FeedEntry, type FeedKind } from './load.js';
export { FEED_KINDS, FeedEntrySchema } from './schema.js';
