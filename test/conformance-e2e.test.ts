/**
 * The shared feed corpus (../shared/fixtures/feeds, 165 real-world, broken and hostile documents) served
 * by a loopback server and ingested end to end by the real pipeline in one run: fetch → decode → parse →
 * sanitize → tag → SQLite. The parse-level comparison with the reference parser, file by file, is in
 * ingest-conformance.test.ts; this test checks what only the whole path can show: one bad feed never
 * hurts the others, each failing feed says why in plain words, nothing fetches anything the document
 * asks for, and nothing executable is stored or served.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedStore, type FeedRow } from '../src/db/feeds.js';
import type { IngestSummary } from '../src/ingest/index.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { ingestHarness, repoRoot, type IngestHarness } from './helpers/harness.js';
import { findExecutableHtml, isSafeLink } from './helpers/html-safety.js';

const dir = path.resolve(repoRoot, '../shared/fixtures/feeds');

interface Row {
  file: string;
  kind: string;
  expect: { entries: number; bozo: boolean };
  traits: string[];
}

const rows: Row[] = existsSync(dir) ? (JSON.parse(readFileSync(path.join(dir, 'MANIFEST.json'), 'utf8')) as Row[]) : [];
const idOf = (file: string) => `fx-${file.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 63);

/** Documents whose only entries hold nothing at all (no title, link, id or body): nothing to store. */
const EMPTY_ENTRIES = new Set(['rss-parser/incomplete-fields.atom']);

describe.runIf(rows.length > 0)('shared feed corpus, end to end', () => {
  let server: FeedServer;
  let h: IngestHarness;
  let summary: IngestSummary;
  let feeds: Map<string, FeedRow>;

  beforeAll(async () => {
    server = await startFeedServer();
    for (const row of rows) {
      const body = readFileSync(path.join(dir, row.file));
      const gzip = row.traits.includes('gzip');
      server.route(`/${row.file}`, {
        body,
        headers: {
          // No charset parameter: the manifest's expectations were made without one.
          'content-type': row.file.endsWith('.json') ? 'application/feed+json' : 'application/xml',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
      });
    }
    // Only the fixture server's own address is reachable: a document that made us fetch anything
    // else (an external entity, a DTD, a stylesheet) would show up as a blocked request or a server hit.
    h = ingestHarness({ workers: 2, settings: { allowPrivateNetwork: false, addressPolicy: (ip) => (ip === '127.0.0.1' ? null : 'not the fixture server'), fetchConcurrency: 8 } });
    h.addFeeds(rows.map((r) => ({ id: idOf(r.file), url: server.url(`/${r.file}`) })));
    summary = await h.ingester.run();
    feeds = new Map(createFeedStore(h.db).listFeeds().map((f) => [f.id, f]));
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await server?.close();
  });

  it('finishes one run over all documents, each with a recorded outcome', () => {
    expect(summary.feeds).toBe(rows.length);
    expect(summary.updated + summary.failed).toBe(rows.length);
    for (const row of rows) expect(feeds.get(idOf(row.file))!.lastFetchedAt, row.file).not.toBeNull();
  });

  it('reads every well-formed feed, and stores no more stories than the reference parser found', () => {
    const storiesOf = h.db.prepare('SELECT count(*) FROM story_sources WHERE feed_id = ?').pluck();
    for (const row of rows.filter((r) => ['rss2', 'atom', 'rdf', 'jsonfeed'].includes(r.kind))) {
      const feed = feeds.get(idOf(row.file))!;
      expect(feed.lastError, row.file).toBeNull();
      const stored = storiesOf.get(feed.id) as number;
      expect(stored, row.file).toBeLessThanOrEqual(row.expect.entries);
      if (row.expect.entries > 0 && !EMPTY_ENTRIES.has(row.file)) expect(stored, row.file).toBeGreaterThan(0);
    }
  });

  it('gives every failing feed a readable reason, and refuses entity tricks as unsafe', () => {
    for (const feed of feeds.values()) {
      if (feed.lastError === null) continue;
      expect(feed.lastError.length).toBeGreaterThan(10);
      expect(feed.lastError).not.toMatch(/\n\s+at |TypeError|undefined|\[object/);
    }
    for (const row of rows.filter((r) => r.traits.includes('entity_declaration'))) {
      expect(feeds.get(idOf(row.file))!.lastErrorCode, row.file).toBe('FEED_UNSAFE');
    }
  });

  it('made exactly one request per document and none for anything a document asked for', () => {
    const paths = server.requests.map((r) => decodeURIComponent(r.path.slice(1))).sort();
    expect(paths).toEqual(rows.map((r) => r.file).sort());
    for (const feed of feeds.values()) expect(feed.lastErrorCode).not.toBe('FEED_BLOCKED');
  });

  it('stores nothing executable in any field, and keeps the search index whole', () => {
    const stories = h.db.prepare('SELECT title, summary, content_html, content_text, url, image_url, author FROM stories').all() as Array<Record<string, string | null>>;
    expect(stories.length).toBeGreaterThan(1000);
    for (const s of stories) {
      if (s.content_html) expect(findExecutableHtml(s.content_html), s.content_html.slice(0, 300)).toEqual([]);
      for (const url of [s.url, s.image_url]) if (url) expect(isSafeLink(url), url).toBe(true);
    }
    expect(h.db.prepare('SELECT count(*) FROM stories_fts').pluck().get()).toBe(stories.length);
    expect(h.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(h.db.prepare("INSERT INTO stories_fts(stories_fts) VALUES ('integrity-check')").run().changes).toBeGreaterThanOrEqual(0);
  });
});
