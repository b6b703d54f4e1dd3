/**
 * Issue 7, part 5 over everything: the whole shared fixture corpus (../shared/fixtures/feeds), the local
 * fixtures, the hand-picked vectors and 1,000 generated attacks, ingested by the real pipeline and read
 * back through every output (see test/fault-output-safety.test.ts for what is checked and why).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectServed, inspectStored, startSafetyWorld, type SafetyWorld } from '../helpers/fault-output.js';

let world: SafetyWorld;

beforeAll(async () => {
  world = await startSafetyWorld({ shared: true, fuzzSamples: 1000, seed: 7_000_007 });
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('output safety over the whole fixture corpus and 1,000 generated attacks', () => {
  it('stores and serves nothing executable, and only http(s) links, through every output', async () => {
    const { api, corpus } = world;
    const stored = inspectStored(api);
    const served = await inspectServed(api);
    console.info(
      `[output-safety] ${corpus.sharedDocuments} shared fixture documents, ${corpus.feeds.length - corpus.sharedDocuments - corpus.attackFeeds.length} local fixtures, ` +
        `${corpus.attackFeeds.length} attack feeds (${corpus.fuzzSamples} generated payloads + the vectors, ×3 formats): ${stored.stories} stories stored, ` +
        `${served.served} served in ${served.pages} pages × 4 outputs; unsafe findings: ${stored.found.length + served.found.length}`,
    );
    expect(stored.found).toEqual([]);
    expect(served.found).toEqual([]);
    expect(served.served).toBe(stored.stories);
  }, 180_000);
});
