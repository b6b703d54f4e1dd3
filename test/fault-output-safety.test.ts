/**
 * Issue 7, part 5 (fast half; the whole shared fixture corpus is in test/reliability/output-safety.test.ts):
 * test/fixtures/feeds, the hand-picked script-injection vectors and 300 fast-check-generated attacks
 * (helpers/fault-xss.ts), each in RSS, Atom and JSON Feed, are ingested by the real pipeline and served
 * by the real API. Nothing executable may come out: not in a stored field, not in the JSON API (lists and
 * single stories), not inside the Atom, RSS and JSON Feed outputs, whose XML is parsed and the HTML
 * inside checked. Links and images are absolute http(s) URLs or absent.
 *
 * HTML fields (content_html, Atom content/summary/title, RSS description/content:encoded/title, JSON
 * Feed content_html) are checked as HTML. Plain-text fields (title, summary, author in the database, the
 * JSON API and JSON Feed's title/summary, which that spec defines as plain text) may legitimately hold
 * the characters "<script>" as text (an article about HTML, or a feed that escaped it); what matters is
 * that every output a reader renders as HTML escapes them, which the Atom and RSS checks show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectHtml, inspectLink, inspectServed, inspectStored, startSafetyWorld, type SafetyCorpus, type SafetyWorld } from './helpers/fault-output.js';
import { XSS_VECTORS } from './helpers/fault-xss.js';
import type { RunningApi } from './helpers/start-api.js';

let world: SafetyWorld;
let api: RunningApi;
let corpus: SafetyCorpus;

beforeAll(async () => {
  world = await startSafetyWorld({ shared: false, fuzzSamples: 300, seed: 7_000_005 });
  ({ api, corpus } = world);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe('output safety over the attack material', () => {
  it('ingested every attack feed, so the checks below see the payloads', () => {
    const storiesOf = api.db.prepare('SELECT count(*) FROM story_sources WHERE feed_id = ?').pluck();
    for (const id of corpus.attackFeeds) expect(storiesOf.get(id), id).toBeGreaterThan(id.includes('vectors') ? XSS_VECTORS.length - 5 : 90);
  });

  it('stores nothing executable and only http(s) links', () => {
    const { found, stories } = inspectStored(api);
    expect(stories).toBeGreaterThan(1000);
    expect(found).toEqual([]);
  });

  it('serves nothing executable through the JSON API, Atom, RSS and JSON Feed, page after page', async () => {
    const { found, served } = await inspectServed(api);
    expect(served).toBe(api.db.prepare('SELECT count(*) FROM stories').pluck().get());
    expect(found).toEqual([]);
  }, 30_000);

  it('serves each attack story alone without anything executable', async () => {
    const found: string[] = [];
    const ids = api.db.prepare(`SELECT DISTINCT story_id FROM story_sources WHERE feed_id LIKE 'xss-%'`).pluck().all() as number[];
    for (const id of ids.filter((_, i) => i % 4 === 0)) {
      const res = await api.fetch(`/api/v1/stories/${id}`);
      expect(res.status).toBe(200);
      const s = (await res.json()) as Record<string, string | null>;
      inspectHtml(`story ${id} contentHtml`, s.contentHtml, found);
      inspectLink(`story ${id} url`, s.url, found);
      inspectLink(`story ${id} imageUrl`, s.imageUrl, found);
    }
    expect(found).toEqual([]);
  });

  it('can fail: the checks do see executable HTML and unsafe links when they are there', () => {
    const found: string[] = [];
    inspectHtml('probe', '<p>ok</p><a href="java&#x09;script:alert(1)">x</a><img src=x onerror=alert(1)>', found);
    inspectLink('probe', 'javascript:alert(1)', found);
    expect(found).toHaveLength(3);
  });
});
