/**
 * Turns the stories of one window into a digest: group the stories about the same event, rank the
 * groups, keep the best `maxStories`. Pure: stories in, JSON-ready groups out.
 *
 * Two stories are about the same event when they share a canonical URL, or when sources that differ
 * gave them the same or a near-identical title (the token sets of their `title_key` overlap with a
 * Jaccard index of at least 0.8). Groups rank by how many sources covered them, then by the strongest
 * score of the subscription's own tags (any tag when it filters on none), then by recency.
 */
import type { StoryRow } from '../db/story-read.js';

export interface DigestStory {
  id: string;
  url: string | null;
  title: string;
  summary: string;
  publishedAt: string;
  source: { id: string; name: string };
  companies: string[];
  themes: string[];
}

export interface DigestGroup {
  title: string;
  url: string | null;
  score: number;
  sources: Array<{ id: string; name: string }>;
  stories: DigestStory[];
}

export interface RankTags {
  companies: string[];
  themes: string[];
}

export const TITLE_SIMILARITY = 0.8;
const SUMMARY_CHARS = 600;

function titleWords(story: StoryRow): string[] {
  return [...new Set(story.titleKey.split(' ').filter(Boolean))];
}

export function jaccard(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const set = new Set(a);
  const shared = b.filter((w) => set.has(w)).length;
  return shared / (a.length + b.length - shared);
}

function createUnionFind(n: number) {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  return { find, union: (a: number, b: number) => void (parent[find(a)] = find(b)) };
}

/**
 * Pairs of stories whose titles may reach the similarity threshold, found by prefix filtering: with
 * each title's words sorted rarest first, two sets with Jaccard >= t must share one of the first
 * |x| - ceil(t·|x|) + 1 words. Keeps grouping near-linear on a busy week instead of comparing all pairs.
 */
function similarTitlePairs(words: string[][]): Array<[number, number]> {
  const frequency = new Map<string, number>();
  for (const ws of words) for (const w of ws) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const byRarity = (a: string, b: string) => frequency.get(a)! - frequency.get(b)! || (a < b ? -1 : a > b ? 1 : 0);
  const index = new Map<string, number[]>();
  const pairs: Array<[number, number]> = [];
  words.forEach((ws, i) => {
    const sorted = [...ws].sort(byRarity);
    const prefix = sorted.slice(0, sorted.length - Math.ceil(TITLE_SIMILARITY * sorted.length) + 1);
    const seen = new Set<number>();
    for (const w of prefix) {
      for (const j of index.get(w) ?? []) {
        if (seen.has(j)) continue;
        seen.add(j);
        if (jaccard(ws, words[j]!) >= TITLE_SIMILARITY) pairs.push([j, i]);
      }
      const list = index.get(w);
      if (list) list.push(i);
      else index.set(w, [i]);
    }
  });
  return pairs;
}

/** Stories about the same event, each group in input order. */
export function groupStories(stories: StoryRow[]): StoryRow[][] {
  const uf = createUnionFind(stories.length);
  const byUrl = new Map<string, number>();
  stories.forEach((s, i) => {
    const url = s.canonicalUrl ?? s.url;
    if (!url) return;
    const first = byUrl.get(url);
    if (first === undefined) byUrl.set(url, i);
    else uf.union(i, first);
  });
  const words = stories.map(titleWords);
  for (const [a, b] of similarTitlePairs(words)) {
    if (stories[a]!.source.id !== stories[b]!.source.id) uf.union(a, b);
  }
  const groups = new Map<number, StoryRow[]>();
  stories.forEach((s, i) => {
    const root = uf.find(i);
    const group = groups.get(root);
    if (group) group.push(s);
    else groups.set(root, [s]);
  });
  return [...groups.values()];
}

/** The strongest score among the tags the subscription filters on (any tag when it names none). */
export function tagScore(story: StoryRow, tags: RankTags): number {
  const wanted = tags.companies.length + tags.themes.length > 0;
  let best = 0;
  for (const t of story.tags) {
    const relevant = !wanted || (t.kind === 'company' ? tags.companies.includes(t.id) : tags.themes.includes(t.id));
    if (relevant && t.score > best) best = t.score;
  }
  return best;
}

function sourcesOf(stories: StoryRow[]): Array<{ id: string; name: string }> {
  const seen = new Map<string, string>();
  for (const s of stories) {
    for (const src of s.sources.length > 0 ? s.sources : [s.source]) if (!seen.has(src.id)) seen.set(src.id, src.name);
  }
  return [...seen].map(([id, name]) => ({ id, name }));
}

function toDigestStory(s: StoryRow): DigestStory {
  const summary = s.summary.length > SUMMARY_CHARS ? `${s.summary.slice(0, SUMMARY_CHARS - 1).trimEnd()}…` : s.summary;
  return {
    id: String(s.id),
    url: s.url ?? s.canonicalUrl,
    title: s.title,
    summary,
    publishedAt: s.publishedAt,
    source: { id: s.source.id, name: s.source.name },
    companies: s.tags.filter((t) => t.kind === 'company').map((t) => t.id),
    themes: s.tags.filter((t) => t.kind === 'theme').map((t) => t.id),
  };
}

interface Ranked {
  stories: StoryRow[];
  sources: Array<{ id: string; name: string }>;
  score: number;
  latest: string;
}

function rankOne(group: StoryRow[], tags: RankTags): Ranked {
  // The lead story: most sources, then strongest tag, then the first to publish (original reporting).
  const lead = [...group].sort(
    (a, b) =>
      b.sources.length - a.sources.length ||
      tagScore(b, tags) - tagScore(a, tags) ||
      a.publishedAt.localeCompare(b.publishedAt) ||
      a.id - b.id,
  )[0]!;
  const rest = group.filter((s) => s !== lead).sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.id - b.id);
  return {
    stories: [lead, ...rest],
    sources: sourcesOf([lead, ...rest]),
    score: Math.max(...group.map((s) => tagScore(s, tags))),
    latest: group.reduce((max, s) => (s.publishedAt > max ? s.publishedAt : max), ''),
  };
}

/** Groups, ranks and caps; also says which story went into which group (for digest_stories). */
export function buildDigestGroups(stories: StoryRow[], tags: RankTags, maxStories: number) {
  const ranked = groupStories(stories)
    .map((g) => rankOne(g, tags))
    .sort(
      (a, b) =>
        b.sources.length - a.sources.length ||
        b.score - a.score ||
        b.latest.localeCompare(a.latest) ||
        b.stories[0]!.id - a.stories[0]!.id,
    )
    .slice(0, maxStories);
  const groups: DigestGroup[] = ranked.map((r) => ({
    title: r.stories[0]!.title,
    url: r.stories[0]!.url ?? r.stories[0]!.canonicalUrl,
    score: Math.round(r.score * 1000) / 1000,
    sources: r.sources,
    stories: r.stories.map(toDigestStory),
  }));
  const placements = ranked.flatMap((r, groupIndex) => r.stories.map((s) => ({ storyId: s.id, groupIndex })));
  return { groups, placements };
}
