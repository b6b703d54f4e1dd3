export { createIngester, type Ingester, type IngestDeps, type IngestSettings, type IngestSummary, type FeedResult, type RunOptions } from './run.js';
export { createFeedProcessor, type FeedProcessor } from './processor.js';
export { computeStoryKeys, titleKey } from './dedupe.js';
