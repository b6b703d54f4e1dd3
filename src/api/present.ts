import type { StoryRow } from '../db/story-read.js';
import type { Story } from './schemas/stories.js';

/** A stored story as the API shows it. `contentHtml` only when asked for (lists) or for a single story. */
export function presentStory(row: StoryRow, withContent: boolean): Story {
  const companies: string[] = [];
  const themes: string[] = [];
  const tags: Story['tags'] = [];
  for (const t of row.tags) {
    (t.kind === 'company' ? companies : themes).push(t.id);
    tags.push({ kind: t.kind, id: t.id, score: t.score, evidence: t.evidence });
  }
  return {
    id: String(row.id),
    url: row.url,
    title: row.title,
    summary: row.summary,
    ...(withContent ? { contentHtml: row.contentHtml } : {}),
    imageUrl: row.imageUrl,
    publishedAt: row.publishedAt,
    fetchedAt: row.firstSeenAt,
    dateEstimated: row.dateEstimated,
    source: { id: row.source.id, name: row.source.name, kind: row.source.kind },
    sources: row.sources.map((s) => ({ id: s.id, name: s.name, kind: s.kind, url: s.url })),
    companies,
    themes,
    tags,
  };
}

/** "deepseek + efficiency", "openai or anthropic", "search: chip export": what a query is about, in a few words. */
export function describeQuery(wanted: { companies: string[]; themes: string[]; sources: string[]; kinds: string[]; q: string | undefined }): string {
  const parts: string[] = [];
  if (wanted.companies.length) parts.push(wanted.companies.join(' or '));
  if (wanted.themes.length) parts.push(wanted.themes.join(' or '));
  if (wanted.sources.length) parts.push(`from ${wanted.sources.join(' or ')}`);
  if (wanted.kinds.length) parts.push(`${wanted.kinds.join(' or ')} feeds`);
  if (wanted.q !== undefined) parts.push(`“${wanted.q.trim().slice(0, 80)}”`);
  return parts.length ? parts.join(' + ') : 'all stories';
}
