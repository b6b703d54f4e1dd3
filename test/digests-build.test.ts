import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileFtsQuery } from '../src/api/fts-query.js';
import { createDigestStore } from '../src/db/digests.js';
import type { Db } from '../src/db/open.js';
import { createStoryWriter, type StoryWrite } from '../src/db/stories.js';
import { createSubscriptionStore, type SubscriptionRow } from '../src/db/subscriptions.js';
import type { StoryRow } from '../src/db/story-read.js';
import { createDigestService, groupStories, type DigestService, type SubscriptionInput } from '../src/digests/index.js';
import { jaccard, TITLE_SIMILARITY } from '../src/digests/build.js';
import { titleKey } from '../src/ingest/index.js';
import { silentLogger } from '../src/shared/log.js';
import { repoRoot, tempDb } from './helpers/harness.js';
import { seedFeeds } from './helpers/seed.js';
import { insertSubscription } from './helpers/subscriptions.js';

let db: Db;
let file: string;
let cleanup: () => void;
let service: DigestService;

const at = (iso: string) => new Date(iso);
const DAILY_8: SubscriptionInput['schedule'] = { every: 'daily', time: '08:00', timezone: 'UTC' };

beforeEach(() => {
  ({ db, file, cleanup } = tempDb());
  seedFeeds(db, [{ id: 'reuters', name: 'Reuters' }, { id: 'verge', name: 'The Verge' }, { id: 'ft', name: 'FT' }, { id: 'blog', name: 'Blog' }]);
  service = createDigestService({ db, log: silentLogger(), publicUrl: 'https://shiftwire.example', allowPrivateNetwork: true, mailFrom: 'x@example.org', sendEmptyDefault: false });
});

afterEach(() => {
  service.close();
  cleanup();
});

function subscribe(input: Partial<SubscriptionInput>, createdAt: string): SubscriptionRow {
  const everything = { companies: [], themes: [], sources: [], kinds: [], q: null };
  return insertSubscription(db, { name: 'Test digest', filter: everything, schedule: DAILY_8, maxStories: 50, ...input }, at(createdAt));
}

let counter = 0;
interface TestStory {
  feed?: string;
  title: string;
  firstSeen: string;
  published?: string;
  url?: string;
  canonical?: string;
  alsoIn?: string[];
  tags?: Array<['company' | 'theme', string, number]>;
}

function toWrite(s: TestStory): StoryWrite {
  const n = counter++;
  return {
    keys: [`test:${n}`],
    url: s.url ?? `https://news.example/${n}`,
    canonicalUrl: s.canonical ?? null,
    title: s.title,
    summary: `What happened: ${s.title}`,
    contentHtml: null,
    imageUrl: null,
    author: null,
    publishedAt: s.published ?? s.firstSeen,
    dateEstimated: false,
    titleKey: titleKey(s.title),
    tags: (s.tags ?? []).map(([kind, id, score]) => ({ kind, id, score, evidenceJson: '[]' })),
  };
}

/** Written the way ingestion writes: one immediate transaction, first_seen_at stamped inside it. */
function story(s: TestStory): number {
  const writer = createStoryWriter(db);
  const item = toWrite(s);
  return db
    .transaction(() => {
      const id = writer.writeStories(s.feed ?? 'reuters', [item], s.firstSeen, 'test').insertedIds[0]!;
      for (const other of s.alsoIn ?? []) writer.writeStories(other, [item], s.firstSeen, 'test');
      return id;
    })
    .immediate();
}

const digestsOf = (sub: SubscriptionRow) => createDigestStore(db).listDigests(sub.id, 100).reverse();
const titlesOf = (d: { groups: Array<{ stories: Array<{ title: string }> }> }) => d.groups.flatMap((g) => g.stories.map((s) => s.title));

describe('digest windows', () => {
  it('tiles time: every story once, the window end inclusive, the start exclusive', async () => {
    const sub = subscribe({}, '2025-01-01T12:00:00Z'); // first digest due 2 Jan 08:00, covering from 1 Jan 08:00
    story({ title: 'before the first window', firstSeen: '2025-01-01T08:00:00.000Z' });
    story({ title: 'just after the first window start', firstSeen: '2025-01-01T08:00:00.001Z' });
    story({ title: 'exactly at the first window end', firstSeen: '2025-01-02T08:00:00.000Z' });
    story({ title: 'just after the first window end', firstSeen: '2025-01-02T08:00:00.001Z' });
    story({ title: 'exactly at the second window end', firstSeen: '2025-01-03T08:00:00.000Z' });

    // The builder runs a little late each time; the windows still end at the scheduled times.
    expect(await service.runDue(at('2025-01-02T07:59:59Z'))).toEqual([]);
    const [first] = await service.runDue(at('2025-01-02T08:00:30Z'));
    expect(first).toMatchObject({ outcome: 'built', windowStart: '2025-01-01T08:00:00.000Z', windowEnd: '2025-01-02T08:00:00.000Z', nextDigestAt: '2025-01-03T08:00:00.000Z' });
    story({ title: 'seen while the first digest went out', firstSeen: '2025-01-02T08:00:40.000Z' });
    await service.runDue(at('2025-01-03T08:01:00Z'));
    expect(await service.runDue(at('2025-01-03T08:02:00Z'))).toEqual([]);

    const [d1, d2] = digestsOf(sub);
    expect(titlesOf(d1!).sort()).toEqual(['exactly at the first window end', 'just after the first window start']);
    expect(titlesOf(d2!).sort()).toEqual(['exactly at the second window end', 'just after the first window end', 'seen while the first digest went out']);
    expect(d2!.windowStart).toBe(d1!.windowEnd);
  });

  it("loses no story whose ingestion transaction holds the write lock at the window's end", async () => {
    const sub = subscribe({}, '2025-01-01T12:00:00Z');
    // Another process (ingestion) took the write lock and stamped first_seen_at = the window end, but
    // has not committed when the builder runs; the builder must wait for it and include the story.
    const item = JSON.stringify(toWrite({ title: 'committed after the builder started', firstSeen: '2025-01-02T08:00:00.000Z' }));
    const script = `
      import { openDatabase } from './src/db/open.js';
      import { createStoryWriter } from './src/db/stories.js';
      const db = openDatabase(process.env.DB_FILE);
      db.exec('BEGIN IMMEDIATE');
      createStoryWriter(db).writeStories('reuters', [JSON.parse(process.env.ITEM)], '2025-01-02T08:00:00.000Z', 'test');
      process.stdout.write('locked\\n');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 800);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env: { ...process.env, DB_FILE: file, ITEM: item },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      child.on('close', () => reject(new Error('the writer exited before taking the lock')));
    });
    const started = Date.now();
    const [outcome] = await service.runDue(at('2025-01-02T08:00:01Z'));
    expect(Date.now() - started).toBeGreaterThan(300); // it waited for the lock
    await exited;
    expect(outcome).toMatchObject({ outcome: 'built', stories: 1 });
    expect(titlesOf(digestsOf(sub)[0]!)).toEqual(['committed after the builder started']);
  });

  it('includes a late-arriving story: published long ago, first seen in this window', async () => {
    const sub = subscribe({}, '2025-01-01T12:00:00Z');
    story({ title: 'an old post found late', published: '2024-06-01T10:00:00Z', firstSeen: '2025-01-02T03:00:00Z' });
    await service.runDue(at('2025-01-02T08:00:00Z'));
    expect(titlesOf(digestsOf(sub)[0]!)).toEqual(['an old post found late']);
  });

  it('catches up once after downtime: three missed daily times give one digest', async () => {
    const sub = subscribe({}, '2025-01-01T12:00:00Z');
    for (const day of ['02', '03', '04']) story({ title: `news of the ${day}th`, firstSeen: `2025-01-${day}T06:00:00Z` });
    const outcomes = await service.runDue(at('2025-01-04T09:30:00Z'));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ windowStart: '2025-01-01T08:00:00.000Z', windowEnd: '2025-01-04T08:00:00.000Z', stories: 3, nextDigestAt: '2025-01-05T08:00:00.000Z' });
    expect(await service.runDue(at('2025-01-04T10:00:00Z'))).toEqual([]);
    expect(digestsOf(sub)).toHaveLength(1);
  });

  it("covers one schedule period before a new subscription's first due time", async () => {
    const monday: SubscriptionInput['schedule'] = { every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' };
    story({ title: 'the Friday before last', firstSeen: '2025-01-24T12:00:00Z' });
    story({ title: 'Tuesday, before the subscription existed', firstSeen: '2025-01-28T12:00:00Z' });
    const sub = subscribe({ schedule: monday }, '2025-01-29T10:00:00Z');
    expect(sub).toMatchObject({ windowEnd: '2025-01-27T07:00:00.000Z', nextDigestAt: '2025-02-03T07:00:00.000Z' });
    story({ title: 'Saturday, after it', firstSeen: '2025-02-01T12:00:00Z' });
    await service.runDue(at('2025-02-03T07:00:05Z'));
    expect(titlesOf(digestsOf(sub)[0]!).sort()).toEqual(['Saturday, after it', 'Tuesday, before the subscription existed']);
  });

  it('sends nothing for an empty period unless asked to, and moves the window on either way', async () => {
    const quiet = subscribe({ name: 'quiet' }, '2025-01-01T12:00:00Z');
    const chatty = subscribe({ name: 'chatty', sendEmpty: true }, '2025-01-01T12:00:00Z');
    const outcomes = await service.runDue(at('2025-01-02T08:00:00Z'));
    expect(outcomes.map((o) => [o.name, o.outcome]).sort()).toEqual([['chatty', 'built'], ['quiet', 'empty']]);
    expect(digestsOf(quiet)).toEqual([]);
    expect(digestsOf(chatty)[0]).toMatchObject({ groupCount: 0, storyCount: 0, groups: [] });
    expect(createSubscriptionStore(db).getSubscription(quiet.id)).toMatchObject({ windowEnd: '2025-01-02T08:00:00.000Z', nextDigestAt: '2025-01-03T08:00:00.000Z' });
  });

  it('selects with the same filter semantics as the stories API (companies any-of, themes, sources, q)', async () => {
    const sub = subscribe(
      {
        filter: { companies: ['deepseek', 'alibaba'], themes: ['efficiency'], sources: ['reuters', 'ft'], kinds: [], q: 'model' },
        filterMatch: compileFtsQuery('model'),
      },
      '2025-01-01T12:00:00Z',
    );
    const seen = '2025-01-02T01:00:00Z';
    story({ title: 'DeepSeek model cuts training cost', firstSeen: seen, tags: [['company', 'deepseek', 0.9], ['theme', 'efficiency', 0.8]] });
    story({ title: 'Alibaba Qwen model is cheaper to run', firstSeen: seen, feed: 'ft', tags: [['company', 'alibaba', 0.9], ['theme', 'efficiency', 0.7]] });
    story({ title: 'DeepSeek model in a blog post', firstSeen: seen, feed: 'blog', tags: [['company', 'deepseek', 0.9], ['theme', 'efficiency', 0.8]] });
    story({ title: 'DeepSeek model faces a ban', firstSeen: seen, tags: [['company', 'deepseek', 0.9], ['theme', 'geopolitics', 0.8]] });
    story({ title: 'DeepSeek cuts prices again', firstSeen: seen, tags: [['company', 'deepseek', 0.9], ['theme', 'efficiency', 0.8]] });
    story({ title: 'OpenAI model is cheaper', firstSeen: seen, tags: [['company', 'openai', 0.9], ['theme', 'efficiency', 0.8]] });
    await service.runDue(at('2025-01-02T08:00:00Z'));
    expect(titlesOf(digestsOf(sub)[0]!).sort()).toEqual(['Alibaba Qwen model is cheaper to run', 'DeepSeek model cuts training cost']);
  });
});

describe('grouping and ranking', () => {
  const seen = '2025-01-02T01:00:00Z';

  it('groups the same canonical URL, and near-identical titles from different sources', async () => {
    const sub = subscribe({}, '2025-01-01T12:00:00Z');
    story({ title: 'DeepSeek releases R1 reasoning model for free', feed: 'reuters', firstSeen: seen });
    story({ title: 'DeepSeek releases R1 reasoning model for free today', feed: 'verge', firstSeen: seen });
    story({ title: 'Nvidia loses 600 billion dollars', feed: 'ft', canonical: 'https://markets.example/nvidia', firstSeen: seen });
    story({ title: 'Chip stocks tumble', feed: 'blog', canonical: 'https://markets.example/nvidia', firstSeen: seen });
    story({ title: 'OpenAI ships Operator agent to Pro users', feed: 'reuters', firstSeen: seen });
    story({ title: 'OpenAI ships Operator agent to Pro users now', feed: 'reuters', firstSeen: seen }); // same source: two stories
    story({ title: 'Mistral releases a small model', feed: 'verge', firstSeen: seen }); // shares words, not the event
    story({ title: 'Mistral releases a large model', feed: 'ft', firstSeen: seen });
    await service.runDue(at('2025-01-02T08:00:00Z'));
    const groups = digestsOf(sub)[0]!.groups.map((g) => g.stories.map((s) => s.title).sort());
    expect(groups).toHaveLength(6);
    expect(groups).toContainEqual(['DeepSeek releases R1 reasoning model for free', 'DeepSeek releases R1 reasoning model for free today']);
    expect(groups).toContainEqual(['Chip stocks tumble', 'Nvidia loses 600 billion dollars']);
    expect(groups).toContainEqual(['OpenAI ships Operator agent to Pro users']);
    expect(groups).toContainEqual(['Mistral releases a small model']);
  });

  it('ranks by sources covering the event, then the strongest score of the wanted tags, then recency; caps at maxStories', async () => {
    const sub = subscribe({ filter: { companies: ['deepseek'], themes: [], sources: [], kinds: [], q: null }, maxStories: 4 }, '2025-01-01T12:00:00Z');
    const deepseek = (score: number): TestStory['tags'] => [['company', 'deepseek', score], ['company', 'openai', 1]];
    const seen = '2025-01-02T07:00:00Z';
    story({ title: 'weak tag, newest', published: '2025-01-02T05:00:00Z', firstSeen: seen, tags: deepseek(0.3) });
    story({ title: 'strong tag', published: '2025-01-01T20:00:00Z', firstSeen: seen, tags: deepseek(0.95) });
    story({ title: 'covered by three sources', published: '2025-01-01T10:00:00Z', firstSeen: seen, alsoIn: ['verge', 'ft'], tags: deepseek(0.2) });
    story({ title: 'weak tag, older', published: '2025-01-02T01:00:00Z', firstSeen: seen, tags: deepseek(0.3) });
    story({ title: 'weakest, cut by maxStories', published: '2025-01-02T06:00:00Z', firstSeen: seen, tags: deepseek(0.1) });
    await service.runDue(at('2025-01-02T08:00:00Z'));
    const digest = digestsOf(sub)[0]!;
    expect(digest.groups.map((g) => g.title)).toEqual(['covered by three sources', 'strong tag', 'weak tag, newest', 'weak tag, older']);
    expect(digest.groups[0]).toMatchObject({ score: 0.2, sources: [{ id: 'ft', name: 'FT' }, { id: 'reuters', name: 'Reuters' }, { id: 'verge', name: 'The Verge' }] });
    expect(digest.groups[1]!.stories[0]).toMatchObject({ companies: ['openai', 'deepseek'], source: { id: 'reuters', name: 'Reuters' } });
    // What was cut is not carried over into the next digest.
    await service.runDue(at('2025-01-03T08:00:00Z'));
    expect(digestsOf(sub)).toHaveLength(1);
  });
});

describe('title similarity', () => {
  const row = (id: number, words: string[]): StoryRow => ({
    id,
    url: null,
    canonicalUrl: null,
    title: words.join(' '),
    summary: '',
    contentHtml: null,
    imageUrl: null,
    author: null,
    publishedAt: '2025-01-01T00:00:00.000Z',
    dateEstimated: false,
    firstSeenAt: '2025-01-01T00:00:00.000Z',
    titleKey: words.join(' '),
    source: { id: `feed-${id}`, name: `Feed ${id}`, kind: 'news', url: null },
    sources: [],
    tags: [],
  });

  it('finds every pair a brute-force comparison finds (the prefix filter misses none)', () => {
    const vocabulary = ['openai', 'deepseek', 'model', 'launch', 'chips', 'price', 'cut', 'new', 'ai', 'nvidia'];
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 7 }), { minLength: 2, maxLength: 25 }), (titles) => {
        const stories = titles.map((words, i) => row(i, words));
        const groupOf = new Map<number, number>();
        groupStories(stories).forEach((g, gi) => g.forEach((s) => groupOf.set(s.id, gi)));
        for (let a = 0; a < titles.length; a++) {
          for (let b = a + 1; b < titles.length; b++) {
            if (jaccard(titles[a]!, titles[b]!) >= TITLE_SIMILARITY) expect(groupOf.get(a)).toBe(groupOf.get(b));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
