import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, loadEnv, loadFeedsFile } from '../src/config/index.js';
import { repoRoot, tempDir } from './helpers/harness.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function feedsFile(text: string): string {
  const t = tempDir();
  cleanup = t.cleanup;
  const file = path.join(t.dir, 'feeds.yaml');
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('has defaults for everything', () => {
    const c = loadEnv({});
    expect(c).toMatchObject({ databasePath: './data/shiftwire.db', feedsFile: './feeds.yaml', port: 3000, fetchSchedule: '*/15 * * * *', allowPrivateNetwork: false, adminToken: undefined, rateLimitMax: 300 });
    // Left to each command (ingest: main thread writes, one worker per core but one; serve: workers write).
    expect(c).toMatchObject({ ingestWorkers: undefined, ingestWriter: undefined });
    expect(loadEnv({ INGEST_WORKERS: '3', INGEST_WRITER: 'workers' })).toMatchObject({ ingestWorkers: 3, ingestWriter: 'workers' });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['FETCH_SCHEDULE', 'every now and then'],
    ['FETCH_CONCURRENCY', '0'],
    ['ALLOW_PRIVATE_NETWORK', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_TOKEN', 'short'],
    ['RETENTION_DAYS', '-3'],
    ['INGEST_WRITER', 'both'],
  ])('stops on an invalid %s=%s and names the variable', (name, value) => {
    expect(() => loadEnv({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it('reads the shipped feeds.yaml: at least 25 real sources of every kind', () => {
    const feeds = loadFeedsFile(path.join(repoRoot, 'feeds.yaml'));
    expect(feeds.length).toBeGreaterThanOrEqual(25);
    expect(new Set(feeds.map((f) => f.kind))).toEqual(new Set(['company', 'news', 'commentary', 'research', 'policy']));
    for (const f of feeds) expect(f.url).toMatch(/^https:\/\//);
  });

  it.each([
    ['feeds:\n  - { id: Bad Id, name: x, url: "https://a.example/feed" }', /feeds\[0\]\.id: must be a slug/],
    ['feeds:\n  - { id: a, name: x, url: "ftp://a.example/feed" }', /feeds\[0\]\.url: must be an http\(s\) URL/],
    ['feeds:\n  - { id: a, name: x, url: "https://a.example/feed", kind: blog }', /feeds\[0\]\.kind/],
    ['feeds:\n  - { id: a, name: x, url: "https://a.example/1" }\n  - { id: a, name: y, url: "https://a.example/2" }', /feeds\[1\]\.id: duplicate id "a"/],
    ['feeds:\n  - { id: a, name: x, url: "https://a.example/1", colour: red }', /feeds\[0\]/],
    ['feeds: [', /not valid YAML/],
  ])('rejects a bad feeds.yaml entry and names it (%#)', (text, message) => {
    const file = feedsFile(text);
    expect(() => loadConfig({ FEEDS_FILE: file })).toThrow(message);
  });
});
