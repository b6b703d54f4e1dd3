/**
 * Seeds a benchmark database with N stories (default 1,000,000) shaped like a year and a half of the
 * AI-industry news Shiftwire stores: ~40 feeds of the five kinds, zipf-distributed company tags
 * (OpenAI everywhere, SoftBank rarely), ~35% of stories with a theme, ~15% carried by two feeds,
 * titles and summaries from a realistic vocabulary (so an FTS search for a common phrase such as
 * "export controls" matches tens of thousands), ~1 KB per story as API JSON.
 *
 *   npx tsx bench/api/seed.ts [--db bench/.out/api-1m.db] [--stories 1000000]
 *
 * Rows go in with prepared statements, in id order, 20,000 per transaction; the FTS insert trigger is
 * dropped during the load and the index rebuilt once at the end (then the trigger is put back).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { ID_SECOND } from '../../src/db/stories.js';
import { createRandom } from '../../test/helpers/random.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_DB = path.join(root, 'bench/.out/api-1m.db');
/** The newest story is published at this time: fixed, so every seed gives the same database. */
export const SEED_NOW = Date.parse('2026-06-01T00:00:00.000Z');
const SPAN_DAYS = 540;


// Company ids in taxonomy order with display names; zipf weights by rank.
export const COMPANIES: Array<[string, string]> = [
  ['openai', 'OpenAI'], ['nvidia', 'Nvidia'], ['google', 'Google'], ['microsoft', 'Microsoft'], ['meta', 'Meta'],
  ['anthropic', 'Anthropic'], ['deepseek', 'DeepSeek'], ['amazon', 'Amazon'], ['apple', 'Apple'], ['xai', 'xAI'],
  ['alibaba', 'Alibaba'], ['mistral', 'Mistral AI'], ['huawei', 'Huawei'], ['tsmc', 'TSMC'], ['bytedance', 'ByteDance'],
  ['baidu', 'Baidu'], ['tencent', 'Tencent'], ['amd', 'AMD'], ['intel', 'Intel'], ['samsung', 'Samsung'],
  ['hugging-face', 'Hugging Face'], ['perplexity', 'Perplexity'], ['oracle', 'Oracle'], ['softbank', 'SoftBank'],
  ['ibm', 'IBM'], ['cohere', 'Cohere'], ['moonshot', 'Moonshot AI'], ['zhipu', 'Zhipu AI'], ['stability-ai', 'Stability AI'],
];
const THEMES: Array<[string, number, string[]]> = [
  ['investment', 0.3, ['raises $2bn at a $40bn valuation', 'plans a $500bn data-centre build-out', 'shares jump 8% after earnings', 'agrees a $6.5bn acquisition']],
  ['efficiency', 0.25, ['cuts prices per million tokens by 80%', 'trains a model at a fraction of the cost', 'ships a small distilled model', 'shows mixture-of-experts savings']],
  ['regulation', 0.2, ['faces an EU AI Act probe', 'is sued over copyright', 'settles an antitrust case', 'answers a privacy complaint']],
  ['geopolitics', 0.15, ['is hit by new export controls', 'faces a chip ban in China', 'is caught in US-China rivalry', 'draws national security scrutiny']],
  ['open-source', 0.1, ['releases open weights', 'open-sources its training code', 'publishes a model on Hugging Face', 'joins the open versus closed debate']],
];
const FEED_KINDS: Array<[string, number]> = [['news', 20], ['company', 8], ['commentary', 5], ['research', 4], ['policy', 3]];
const PLAIN_EVENTS = ['unveils a new reasoning model', 'hires a chief scientist', 'reports quarterly results', 'launches an AI assistant', 'updates its coding agent', 'expands into Europe', 'opens a research lab in London', 'demos a voice mode'];
const SENTENCES = [
  'Analysts said the move would put pressure on rivals that have spent heavily on training runs.',
  'The company did not disclose how much compute the project used, but people familiar with it said costs fell sharply.',
  'Export controls on advanced chips have reshaped where large models are trained and who can buy accelerators.',
  'Developers on social media compared the release with open-weight models published earlier this year.',
  'Regulators in Brussels and Washington are watching the market closely after a string of complaints.',
  'Investors have poured billions into data centres, betting that demand for inference will keep growing.',
  'Benchmarks published alongside the announcement showed gains on coding and maths tasks.',
  'The announcement came days after a rival cut its prices for developers building on its platform.',
  'Critics said the claims were hard to verify without access to the training data and evaluation code.',
  'Shares in chip makers moved sharply as traders weighed what the news meant for future spending.',
];

export interface Corpus {
  feeds: Array<{ id: string; name: string; kind: string }>;
}

export function feedList(): Corpus['feeds'] {
  const feeds: Corpus['feeds'] = [];
  for (const [kind, n] of FEED_KINDS) for (let i = 1; i <= n; i++) feeds.push({ id: `${kind}-${i}`, name: `${kind[0]!.toUpperCase()}${kind.slice(1)} Source ${i}`, kind });
  return feeds;
}

function zipfPicker(n: number, s: number, random: () => number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(((sum) => (w: number) => (sum += w / total))(0));
  return () => {
    const r = random();
    const i = cumulative.findIndex((c) => r <= c);
    return i === -1 ? n - 1 : i;
  };
}

interface Story {
  id: number;
  title: string;
  summary: string;
  url: string;
  publishedAt: string;
  feed: string;
  alsoIn: string | null;
  companies: string[];
  themes: string[];
  author: string | null;
}

export function* generateStories(count: number, seed = 42): Generator<Story> {
  const random = createRandom(seed);
  const pickCompany = zipfPicker(COMPANIES.length, 1.1, random);
  const feeds = feedList();
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  // Publication times: uniform over the span, generated in increasing order (sorted gaps).
  const spanSeconds = SPAN_DAYS * 86_400;
  const start = Math.floor(SEED_NOW / 1000) - spanSeconds;
  let lastSecond = -1;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const second = start + Math.floor(((i + random()) / count) * spanSeconds);
    n = second === lastSecond ? n + 1 : 0;
    lastSecond = second;
    const companies: string[] = [];
    if (random() < 0.72) companies.push(COMPANIES[pickCompany()]![0]);
    if (companies.length && random() < 0.22) {
      const other = COMPANIES[pickCompany()]![0];
      if (!companies.includes(other)) companies.push(other);
    }
    const themes: string[] = [];
    const themed = random() < 0.35;
    if (themed) {
      let r = random();
      const theme = THEMES.find(([, w]) => (r -= w) < 0) ?? THEMES[0]!;
      themes.push(theme[0]);
      if (random() < 0.1) {
        const second = pick(THEMES)[0];
        if (second !== theme[0]) themes.push(second);
      }
    }
    const name = (id: string | undefined) => COMPANIES.find(([c]) => c === id)?.[1] ?? pick(['Startup', 'A lab', 'Researchers', 'A chipmaker']);
    const subject = name(companies[0]);
    const event = themed ? pick(THEMES.find(([t]) => t === themes[0])![2]) : pick(PLAIN_EVENTS);
    const title = companies[1] ? `${subject} ${event} as ${name(companies[1])} responds` : `${subject} ${event}`;
    const summary = `${subject} ${event}, according to people familiar with the matter. ${pick(SENTENCES)} ${pick(SENTENCES)} ${pick(SENTENCES)}`;
    const feed = pick(feeds).id;
    const other = random() < 0.15 ? pick(feeds).id : null;
    yield {
      id: second * ID_SECOND + n,
      title,
      summary,
      url: `https://${feed}.example.com/${new Date(second * 1000).toISOString().slice(0, 10)}/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60)}-${i}`,
      publishedAt: new Date(second * 1000).toISOString(),
      feed,
      alsoIn: other !== feed ? other : null,
      companies,
      themes,
      author: random() < 0.6 ? pick(['Ana Lopez', 'Sam Okafor', 'Mei Chen', 'Jon Berg', 'Priya Nair', 'Luca Rossi']) : null,
    };
  }
}

export function seedDatabase(db: Db, count: number, log: (line: string) => void = console.log): void {
  migrate(db);
  db.pragma('synchronous = OFF');
  const now = new Date(SEED_NOW).toISOString();
  const insertFeed = db.prepare(`INSERT INTO feeds (id, name, url, kind, enabled, origin, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 'config', ?, ?)`);
  for (const f of feedList()) insertFeed.run(f.id, f.name, `https://${f.id}.example.com/feed.xml`, f.kind, now, now);
  db.exec('DROP TRIGGER stories_fts_insert');
  const insertStory = db.prepare(`
    INSERT INTO stories (id, url, canonical_url, title, summary, content_html, content_text, image_url, author, published_at,
      date_estimated, first_seen_at, feed_id, title_key, tags_hash)
    VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, 0, ?, ?, ?, 'bench')`);
  const insertKey = db.prepare(`INSERT INTO story_keys (key, story_id) VALUES (?, ?)`);
  const insertSource = db.prepare(`INSERT INTO story_sources (story_id, feed_id, url, first_seen_at) VALUES (?, ?, ?, ?)`);
  const insertTag = db.prepare(`INSERT INTO story_tags (story_id, kind, tag_id, score, evidence) VALUES (?, ?, ?, ?, ?)`);
  const write = db.transaction((batch: Story[]) => {
    for (const s of batch) {
      const seen = new Date(Date.parse(s.publishedAt) + 600_000).toISOString();
      insertStory.run(s.id, s.url, s.url, s.title, s.summary, s.id % 3 === 0 ? `https://img.example.com/${s.id}.jpg` : null, s.author, s.publishedAt, seen, s.feed, s.title.toLowerCase());
      insertKey.run(`url:${s.url}`, s.id);
      insertSource.run(s.id, s.feed, s.url, seen);
      if (s.alsoIn) insertSource.run(s.id, s.alsoIn, `${s.url}?via=${s.alsoIn}`, seen);
      s.companies.forEach((c, i) => insertTag.run(s.id, 'company', c, i === 0 ? 0.92 : 0.61, JSON.stringify([{ term: COMPANIES.find(([id]) => id === c)![1], field: 'title', count: 1 }])));
      s.themes.forEach((t, i) => insertTag.run(s.id, 'theme', t, i === 0 ? 0.74 : 0.43, JSON.stringify([{ term: t.replace('-', ' '), field: 'summary', count: 1 }])));
    }
  });
  const started = Date.now();
  let batch: Story[] = [];
  let done = 0;
  for (const story of generateStories(count)) {
    batch.push(story);
    if (batch.length === 20_000) {
      write(batch);
      done += batch.length;
      batch = [];
      if (done % 200_000 === 0) log(`  ${done.toLocaleString('en')} stories (${((Date.now() - started) / 1000).toFixed(0)}s)`);
    }
  }
  if (batch.length) write(batch);
  log(`  rows written in ${((Date.now() - started) / 1000).toFixed(1)}s; rebuilding the FTS index…`);
  const ftsStarted = Date.now();
  db.exec(`INSERT INTO stories_fts (stories_fts) VALUES ('rebuild')`);
  db.exec(`CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
  INSERT INTO stories_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END`);
  db.exec(`INSERT INTO meta (key, value) VALUES ('bench_stories', '${count}')`);
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  log(`  FTS rebuilt in ${((Date.now() - ftsStarted) / 1000).toFixed(1)}s`);
}

/** Opens the bench database, seeding it first when it is missing or holds another number of stories. */
export function ensureSeeded(file: string, count: number, log: (line: string) => void = console.log): void {
  if (existsSync(file)) {
    const db = openDatabase(file);
    try {
      const stored = db.prepare(`SELECT value FROM meta WHERE key = 'bench_stories'`).pluck().get() as string | undefined;
      if (stored === String(count)) return;
    } catch {
      // not a bench database: seed it again
    } finally {
      db.close();
    }
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  log(`seeding ${count.toLocaleString('en')} stories into ${path.relative(root, file)}`);
  const db = openDatabase(file);
  try {
    seedDatabase(db, count, log);
  } finally {
    db.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { db: { type: 'string', default: DEFAULT_DB }, stories: { type: 'string', default: '1000000' } } });
  ensureSeeded(path.resolve(values.db!), Number(values.stories));
}
