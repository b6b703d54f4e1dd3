import type { Db } from './open.js';

export interface StoryTagRow {
  kind: 'company' | 'theme';
  id: string;
  score: number;
  evidence: unknown[];
}

export interface StorySourceRow {
  id: string;
  name: string;
  kind: string;
  url: string | null;
}

export interface StoryRow {
  id: number;
  url: string | null;
  canonicalUrl: string | null;
  title: string;
  summary: string;
  contentHtml: string | null;
  imageUrl: string | null;
  author: string | null;
  publishedAt: string;
  dateEstimated: boolean;
  firstSeenAt: string;
  titleKey: string;
  source: StorySourceRow;
  sources: StorySourceRow[];
  tags: StoryTagRow[];
}

/** Reads whole stories (with their sources and tags) for a list of ids, in the order given. */
export function createStoryReader(db: Db) {
  const stories = db.prepare(`
    SELECT s.id, s.url, s.canonical_url AS canonicalUrl, s.title, s.summary, s.content_html AS contentHtml,
      s.image_url AS imageUrl, s.author, s.published_at AS publishedAt,
      s.date_estimated AS dateEstimated, s.first_seen_at AS firstSeenAt, s.title_key AS titleKey,
      f.id AS feedId, f.name AS feedName, f.kind AS feedKind
    FROM stories s JOIN feeds f ON f.id = s.feed_id
    WHERE s.id IN (SELECT value FROM json_each(@ids))`);
  const tags = db.prepare(`
    SELECT story_id AS storyId, kind, tag_id AS id, score, evidence FROM story_tags
    WHERE story_id IN (SELECT value FROM json_each(@ids)) ORDER BY story_id, kind, score DESC, tag_id`);
  const sources = db.prepare(`
    SELECT ss.story_id AS storyId, f.id, f.name, f.kind, ss.url FROM story_sources ss JOIN feeds f ON f.id = ss.feed_id
    WHERE ss.story_id IN (SELECT value FROM json_each(@ids)) ORDER BY ss.story_id, ss.first_seen_at, f.id`);

  function getStories(ids: number[]): StoryRow[] {
    if (ids.length === 0) return [];
    const json = JSON.stringify(ids);
    const byId = new Map<number, StoryRow>();
    for (const r of stories.all({ ids: json }) as Array<Record<string, unknown>>) {
      byId.set(r.id as number, {
        id: r.id as number,
        url: r.url as string | null,
        canonicalUrl: r.canonicalUrl as string | null,
        title: r.title as string,
        summary: r.summary as string,
        contentHtml: r.contentHtml as string | null,
        imageUrl: r.imageUrl as string | null,
        author: r.author as string | null,
        publishedAt: r.publishedAt as string,
        dateEstimated: r.dateEstimated === 1,
        firstSeenAt: r.firstSeenAt as string,
        titleKey: r.titleKey as string,
        source: { id: r.feedId as string, name: r.feedName as string, kind: r.feedKind as string, url: r.url as string | null },
        sources: [],
        tags: [],
      });
    }
    for (const t of tags.all({ ids: json }) as Array<{ storyId: number; kind: 'company' | 'theme'; id: string; score: number; evidence: string }>) {
      byId.get(t.storyId)?.tags.push({ kind: t.kind, id: t.id, score: t.score, evidence: JSON.parse(t.evidence) as unknown[] });
    }
    for (const s of sources.all({ ids: json }) as Array<StorySourceRow & { storyId: number }>) {
      byId.get(s.storyId)?.sources.push({ id: s.id, name: s.name, kind: s.kind, url: s.url });
    }
    return ids.map((id) => byId.get(id)).filter((s): s is StoryRow => s !== undefined);
  }

  const jsonStatements = { plain: db.prepare(storyJsonSql(false)), content: db.prepare(storyJsonSql(true)) };

  /**
   * The same stories as API JSON, built by SQLite (one statement, one string per story, in the order of
   * `ids`): the list endpoint's fast path, which skips building, checking and serializing objects in
   * JavaScript. The shape is the API's Story (api/schemas/stories.ts) exactly as api/present.ts makes it;
   * a test holds the two to the same output.
   */
  function getStoriesJson(ids: number[], withContent: boolean): string[] {
    if (ids.length === 0) return [];
    const rows = (withContent ? jsonStatements.content : jsonStatements.plain).raw().all({ ids: JSON.stringify(ids) }) as Array<[number, string]>;
    const byId = new Map(rows);
    return ids.map((id) => byId.get(id)).filter((j): j is string => j !== undefined);
  }

  return {
    getStories,
    getStoriesJson,
    getStory: (id: number): StoryRow | undefined => getStories([id])[0],
  };
}

function storyJsonSql(withContent: boolean): string {
  return `
    SELECT s.id, json_object(
      'id', CAST(s.id AS TEXT), 'url', s.url, 'title', s.title, 'summary', s.summary,
      ${withContent ? `'contentHtml', s.content_html,` : ''}
      'imageUrl', s.image_url, 'publishedAt', s.published_at, 'fetchedAt', s.first_seen_at,
      'dateEstimated', CASE s.date_estimated WHEN 1 THEN json('true') ELSE json('false') END,
      'source', json_object('id', f.id, 'name', f.name, 'kind', f.kind),
      'sources', (SELECT json_group_array(json_object('id', sf.id, 'name', sf.name, 'kind', sf.kind, 'url', ss.url) ORDER BY ss.first_seen_at, sf.id)
                  FROM story_sources ss JOIN feeds sf ON sf.id = ss.feed_id WHERE ss.story_id = s.id),
      'companies', (SELECT json_group_array(tag_id ORDER BY score DESC, tag_id) FROM story_tags WHERE story_id = s.id AND kind = 'company'),
      'themes', (SELECT json_group_array(tag_id ORDER BY score DESC, tag_id) FROM story_tags WHERE story_id = s.id AND kind = 'theme'),
      'tags', (SELECT json_group_array(json_object('kind', kind, 'id', tag_id, 'score', score, 'evidence', json(evidence)) ORDER BY kind, score DESC, tag_id)
               FROM story_tags WHERE story_id = s.id)
    )
    FROM stories s JOIN feeds f ON f.id = s.feed_id
    WHERE s.id IN (SELECT value FROM json_each(@ids))`;
}

export type StoryReader = ReturnType<typeof createStoryReader>;
