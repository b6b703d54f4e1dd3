/**
 * Issue 7, part 4, in full: the API abuse fuzz (helpers/fault-fuzz-suite.ts) with many runs per
 * property and every SQL-injection and FTS-syntax string at every parameter of every read route.
 * Replay another seed with FAULT_SEED=<n>.
 */
import { describe } from 'vitest';
import { faultSeed } from '../helpers/fault-corpus.js';
import { defineApiFuzzSuite } from '../helpers/fault-fuzz-suite.js';

describe('API abuse fuzz (full)', () => {
  defineApiFuzzSuite({ seed: faultSeed(7_104), runs: 600, injections: 'all' });
});
