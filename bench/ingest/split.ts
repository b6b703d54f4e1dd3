/**
 * Where ingestion's per-item time goes, one thread, warm: the bench corpus (200 feeds × 50 items,
 * bench/ingest/generate.ts) is prepared in-process (decode, parse, normalize, sanitize, key, tag), then
 * written with the real committer into a fresh database, several times. Variants take one part of the
 * write away, to show what it costs:
 *
 *   npx tsx bench/ingest/split.ts [nofts] [prefix] [notags] [noevidence] [nohtml] [--dir /dev/shm] [--feeds-per-commit 12]
 *
 *   nofts       no FTS5 insert            prefix     FTS5 with prefix indexes '2 3' (as before migration 0004)
 *   notags      no tag rows               noevidence tag rows with empty evidence
 *   nohtml      no content_html
 *
 * Figures are CPU milliseconds of this process (process.cpuUsage), steadier than wall time on a shared
 * machine. Used for the analysis in bench/README.md (## Ingest); not a measure of the product as shipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFeedStore } from '../../src/db/feeds.js';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/open.js';
import { createFeedCommitter, type CommitEntry } from '../../src/ingest/commit.js';
import { prepareFeed, type PreparedFeed } from '../../src/ingest/prepare.js';
import { createTagger, loadTaxonomy } from '../../src/tagging/index.js';
import { makeFeed } from './generate.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { dir: { type: 'string', default: tmpdir() }, rounds: { type: 'string', default: '3' }, 'feeds-per-commit': { type: 'string', default: '12' } } });
const variants = new Set(positionals);
const FEEDS = 200;
const ITEMS = 50;
const tagger = createTagger(loadTaxonomy(path.resolve(import.meta.dirname, '../../taxonomy.yaml')));
const bodies = Array.from({ length: FEEDS }, (_, i) => Buffer.from(makeFeed(i, ITEMS)));
const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

async function prepareAll(): Promise<{ prepared: PreparedFeed[]; ms: number }> {
  const now = new Date().toISOString();
  const start = process.cpuUsage();
  const prepared: PreparedFeed[] = [];
  for (let i = 0; i < FEEDS; i++) prepared.push(await prepareFeed(bodies[i]!, 'application/rss+xml', { feedId: `f${i}`, url: `http://127.0.0.1/feed/${i}.xml`, now }, tagger));
  return { prepared, ms: cpuMs(start) };
}

function writeAll(prepared: PreparedFeed[]): number {
  const dir = mkdtempSync(path.join(values.dir!, 'shiftwire-split-'));
  const db = openDatabase(path.join(dir, 'split.db'));
  try {
    migrate(db);
    if (variants.has('prefix')) {
      db.exec(`DROP TABLE stories_fts; CREATE VIRTUAL TABLE stories_fts USING fts5 (title, summary, content='stories', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')`);
    }
    if (variants.has('nofts')) db.exec(`DROP TRIGGER stories_fts_insert`);
    const now = new Date().toISOString();
    createFeedStore(db).syncConfigFeeds(prepared.map((_, i) => ({ id: `f${i}`, name: `Feed ${i}`, url: `http://127.0.0.1/feed/${i}.xml`, kind: 'news' as const, enabled: true })), now);
    const committer = createFeedCommitter(db, { clock: () => new Date(), tagsHash: tagger.hash });
    const entries: CommitEntry[] = prepared.map((p, i) => ({
      request: { feedId: `f${i}`, fetchedAt: now, status: 200, validators: { etag: null, lastModified: null }, intervalMs: 900_000, maxAgeSeconds: null },
      prepared: { ...p, stories: p.stories.map((s) => ({
        ...s,
        contentHtml: variants.has('nohtml') ? null : s.contentHtml,
        tags: variants.has('notags') ? [] : variants.has('noevidence') ? s.tags.map((t) => ({ ...t, evidenceJson: '[]' })) : s.tags,
      })) },
    }));
    const start = process.cpuUsage();
    const perCommit = Number(values['feeds-per-commit']); // 12: ~600 stories per transaction, as the writers do under load
    for (let i = 0; i < entries.length; i += perCommit) committer.commit(entries.slice(i, i + perCommit));
    return cpuMs(start);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const items = FEEDS * ITEMS;
for (let round = 1; round <= Number(values.rounds); round++) {
  const { prepared, ms: prepareMs } = await prepareAll();
  const writeMs = writeAll(prepared);
  console.log(`round ${round} [${[...variants].join(', ') || 'as shipped'}, ${values['feeds-per-commit']} feeds per commit]: prepare ${(prepareMs / items).toFixed(3)} ms/item, write ${(writeMs / items).toFixed(3)} ms/item (CPU)`);
}
