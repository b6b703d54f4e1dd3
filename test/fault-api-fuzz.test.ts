/**
 * Issue 7, part 4, in npm test: the API abuse fuzz (helpers/fault-fuzz-suite.ts) with a fixed seed and
 * few runs per property, and a sample of the injection matrix. test/reliability/api-fuzz.test.ts runs
 * the same suite with many more runs and every injection string at every parameter.
 * Replay another seed with FAULT_SEED=<n>.
 */
import { describe } from 'vitest';
import { faultSeed } from './helpers/fault-corpus.js';
import { defineApiFuzzSuite } from './helpers/fault-fuzz-suite.js';

describe('API abuse fuzz (fast)', () => {
  defineApiFuzzSuite({ seed: faultSeed(7_004), runs: 150, injections: 400 });
});
