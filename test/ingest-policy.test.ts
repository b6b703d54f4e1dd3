import { describe, expect, it } from 'vitest';
import { computeStoryKeys, titleKey } from '../src/ingest/dedupe.js';
import { backoffMs, nextFetchAfterFailure, nextFetchAfterSuccess } from '../src/ingest/policy.js';
import { runKeyedPool } from '../src/ingest/pool.js';

const now = new Date('2025-01-27T10:00:00.000Z');
const min = 60_000;

describe('fetch policy', () => {
  it.each([
    [1, 5 * min],
    [2, 10 * min],
    [3, 20 * min],
    [6, 160 * min],
    [9, 1280 * min],
    [10, 24 * 60 * min], // capped at a day…
    [500, 24 * 60 * min], // …and never given up on
  ])('backs off after %i consecutive failures by %i ms', (failures, expected) => {
    expect(backoffMs(failures)).toBe(expected);
  });

  it('honours Retry-After when it asks for longer than the backoff, up to a week', () => {
    expect(nextFetchAfterFailure(now, 1, 3600).getTime() - now.getTime()).toBe(3600_000);
    expect(nextFetchAfterFailure(now, 1, 10).getTime() - now.getTime()).toBe(5 * min);
    expect(nextFetchAfterFailure(now, 1, 30 * 86400).getTime() - now.getTime()).toBe(7 * 86400_000);
  });

  it.each([
    [{}, 13.5 * min],
    [{ ttlMinutes: 5 }, 13.5 * min],
    [{ ttlMinutes: 60 }, 60 * min],
    [{ maxAgeSeconds: 7200 }, 120 * min],
    [{ ttlMinutes: 100_000 }, 24 * 60 * min],
  ])('after a success with hints %o rests %i ms on a 15-minute schedule', (hints, expected) => {
    expect(nextFetchAfterSuccess(now, 15 * min, hints).getTime() - now.getTime()).toBe(expected);
  });
});

describe('story keys', () => {
  const item = (over: Partial<Parameters<typeof computeStoryKeys>[1][number]>) => ({
    guid: null,
    canonicalUrl: null,
    title: 'A title',
    publishedAt: now.toISOString(),
    dateEstimated: false,
    ...over,
  });

  it('uses the canonical URL, then the guid scoped to the feed', () => {
    expect(computeStoryKeys('f', [item({ canonicalUrl: 'https://a.example/x', guid: 'g1' })], null)).toEqual([['url:https://a.example/x', 'guid:f:g1']]);
  });

  it('ignores a URL that several items share, or that is the home page', () => {
    const keys = computeStoryKeys('f', [item({ canonicalUrl: 'https://a.example/', guid: '1' }), item({ canonicalUrl: 'https://a.example/', guid: '2' }), item({ canonicalUrl: 'https://a.example/home' })], 'https://a.example/home');
    expect(keys[0]).toEqual(['guid:f:1']);
    expect(keys[1]).toEqual(['guid:f:2']);
    expect(keys[2]![0]).toMatch(/^title:f:/);
  });

  it('falls back to the title and date, so an item without URL or guid is still stored once', () => {
    const [a] = computeStoryKeys('f', [item({ title: 'Same' })], null);
    const [b] = computeStoryKeys('f', [item({ title: 'Same' })], null);
    const [c] = computeStoryKeys('f', [item({ title: 'Other' })], null);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it.each([
    ["OpenAI's new model — GPT-5!", 'openai new model gpt 5'],
    ['  Café   Déjà Vu ', 'cafe deja vu'],
  ])('reduces %j to the words %j', (title, key) => {
    expect(titleKey(title)).toBe(key);
  });
});

describe('keyed pool', () => {
  it('keeps the global limit and runs one task per key at a time', async () => {
    const running = new Map<string, number>();
    let active = 0;
    let peak = 0;
    let peakPerKey = 0;
    const items = Array.from({ length: 12 }, (_, i) => ({ key: `h${i % 3}`, i }));
    await runKeyedPool(items, { concurrency: 2, keyOf: (x) => x.key }, async (x) => {
      active++;
      running.set(x.key, (running.get(x.key) ?? 0) + 1);
      peak = Math.max(peak, active);
      peakPerKey = Math.max(peakPerKey, running.get(x.key)!);
      await new Promise((r) => setTimeout(r, 5));
      running.set(x.key, running.get(x.key)! - 1);
      active--;
      if (x.i === 4) throw new Error('one task failing does not stop the others');
    });
    expect(peak).toBe(2);
    expect(peakPerKey).toBe(1);
  });
});
