/**
 * The bare reference: Fastify + better-sqlite3 answering "the newest 50 stories of company X" with the
 * same story JSON as the real API (sources, tags, evidence), read the same way (one index walk for the
 * ids, three queries for the rows), but without validation, schemas, ETags, hooks or anything else.
 * Prints {"port": n} and serves until killed.
 *
 *   npx tsx bench/api/bare.ts <db file>
 */
import Fastify from 'fastify';
import { openDatabase } from '../../src/db/open.js';

const db = openDatabase(process.argv[2]!);
const ids = db.prepare(`SELECT story_id FROM story_tags WHERE kind = 'company' AND tag_id = ? ORDER BY story_id DESC LIMIT 51`).pluck();
const rows = db.prepare(`
  SELECT s.id, s.url, s.title, s.summary, s.image_url, s.published_at, s.first_seen_at, s.date_estimated, f.id AS fid, f.name AS fname, f.kind AS fkind
  FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE s.id IN (SELECT value FROM json_each(?))`);
const tags = db.prepare(`SELECT story_id, kind, tag_id, score, evidence FROM story_tags WHERE story_id IN (SELECT value FROM json_each(?)) ORDER BY story_id, kind, score DESC, tag_id`);
const sources = db.prepare(`
  SELECT ss.story_id, f.id, f.name, f.kind, ss.url FROM story_sources ss JOIN feeds f ON f.id = ss.feed_id
  WHERE ss.story_id IN (SELECT value FROM json_each(?)) ORDER BY ss.story_id, ss.first_seen_at, f.id`);

const app = Fastify({ logger: false });
app.get('/stories', async (request) => {
  const list = ids.all((request.query as { company: string }).company) as number[];
  const page = list.slice(0, 50);
  const json = JSON.stringify(page);
  const byId = new Map<number, Record<string, unknown> & { companies: string[]; themes: string[]; tags: unknown[]; sources: unknown[] }>();
  for (const r of rows.all(json) as Array<Record<string, string | number | null>>) {
    byId.set(r.id as number, {
      id: String(r.id), url: r.url, title: r.title, summary: r.summary, imageUrl: r.image_url, publishedAt: r.published_at,
      fetchedAt: r.first_seen_at, dateEstimated: r.date_estimated === 1, source: { id: r.fid, name: r.fname, kind: r.fkind },
      sources: [], companies: [], themes: [], tags: [],
    });
  }
  for (const t of tags.all(json) as Array<{ story_id: number; kind: string; tag_id: string; score: number; evidence: string }>) {
    const s = byId.get(t.story_id)!;
    (t.kind === 'company' ? s.companies : s.themes).push(t.tag_id);
    s.tags.push({ kind: t.kind, id: t.tag_id, score: t.score, evidence: JSON.parse(t.evidence) });
  }
  for (const r of sources.all(json) as Array<{ story_id: number; id: string; name: string; kind: string; url: string }>) {
    byId.get(r.story_id)!.sources.push({ id: r.id, name: r.name, kind: r.kind, url: r.url });
  }
  return { stories: page.map((id) => byId.get(id)), nextCursor: list.length > 50 ? String(page.at(-1)) : null };
});
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: (app.server.address() as { port: number }).port }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0)); // exit hooks run (e.g. --cpu-prof)
