import type { FastifyPluginAsync } from 'fastify';
import { Feed, type Item } from 'feed';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StoryRow } from '../../db/story-read.js';
import type { AppDeps } from '../app.js';
import { describeQuery } from '../present.js';
import { problemResponses } from '../schemas/common.js';
import { StoriesQuerySchema } from '../schemas/stories.js';
import { createStoryFinder, type StoryFinder, type StoryPage } from '../story-filter.js';

/**
 * Any stories query as a feed to subscribe to: Atom 1.0, RSS 2.0 and JSON Feed 1.1, made with the
 * `feed` package. Categories are the story's companies and themes, each with a scheme (Atom) or
 * domain (RSS) naming the list it comes from, so readers can tell "company" from "theme".
 */
export const FEED_CACHE = 'public, max-age=300';
const TAG_DATE = '2025';
const FORMATS = {
  atom: 'application/atom+xml; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
} as const;
type Format = keyof typeof FORMATS;

/** Characters XML 1.0 does not allow at all (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/F). */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const xmlText = (s: string) => s.replace(NOT_XML, '');
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** HTML for a CDATA section: `]]>` would end it early, and `]]&gt;` reads the same as HTML. */
const cdataHtml = (html: string) => xmlText(html).replaceAll(']]>', ']]&gt;');
const IMAGE_TYPES = new Set(['png', 'gif', 'webp', 'jpeg', 'jpg']);

function absoluteUrl(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

export const storyEntryId = (id: number) => `tag:shiftwire,${TAG_DATE}:story/${id}`;

interface FeedContext {
  publicUrl: string;
  search: string;
  names: Map<string, string>;
}

function feedItem(row: StoryRow, format: Format, ctx: FeedContext): Item {
  const link = absoluteUrl(row.url) ?? `${ctx.publicUrl}/api/v1/stories/${row.id}`;
  const date = new Date(row.publishedAt);
  const author = row.author?.trim() || row.source.name;
  const image = absoluteUrl(row.imageUrl);
  const list = (kind: string) => `${ctx.publicUrl}/api/v1/${kind === 'company' ? 'companies' : 'themes'}`;
  if (format === 'json') {
    return {
      id: storyEntryId(row.id),
      title: row.title,
      link,
      date,
      published: date,
      description: row.summary,
      content: row.contentHtml ?? `<p>${escapeHtml(row.summary)}</p>`,
      author: [{ name: author }],
      ...(image ? { image } : {}),
    };
  }
  const extension = image ? new URL(image).pathname.split('.').at(-1)?.toLowerCase() : undefined;
  const item: Item = {
    id: storyEntryId(row.id),
    title: escapeHtml(xmlText(row.title)),
    link,
    date,
    published: date,
    description: escapeHtml(xmlText(row.summary)),
    content: cdataHtml(row.contentHtml ?? `<p>${escapeHtml(row.summary)}</p>`),
    ...(image && extension && IMAGE_TYPES.has(extension) ? { image } : {}),
  };
  if (format === 'atom') {
    // term = the id to filter on, label = the taxonomy's name, scheme = the list it belongs to.
    item.category = row.tags.map((t) => ({ term: t.id, name: xmlText(ctx.names.get(t.id) ?? t.id).replace(/</g, ''), scheme: list(t.kind) }));
    item.author = [{ name: xmlText(author) }];
  } else {
    // The package writes RSS attributes as given: the domain is escaped here.
    item.category = row.tags.map((t) => ({ name: t.id, domain: escapeHtml(list(t.kind)) }));
    item.extensions = [{ name: 'dc:creator', objects: { _text: xmlText(author) } }];
  }
  return item;
}

/** JSON Feed 1.1 from the package's 1.0 output: the version, `authors` arrays, and our own `_shiftwire` extension. */
function upgradeJsonFeed(json: string, rows: StoryRow[]): string {
  const feed = JSON.parse(json) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
  feed.version = 'https://jsonfeed.org/version/1.1';
  if (feed.author) {
    feed.authors = [feed.author];
    delete feed.author;
  }
  feed.items.forEach((item, i) => {
    const row = rows[i]!;
    if (item.author) item.authors = [item.author];
    delete item.author;
    item.summary = row.summary;
    item.tags = row.tags.map((t) => t.id);
    item._shiftwire = {
      id: String(row.id),
      source: row.source.id,
      companies: row.tags.filter((t) => t.kind === 'company').map((t) => t.id),
      themes: row.tags.filter((t) => t.kind === 'theme').map((t) => t.id),
    };
  });
  return JSON.stringify(feed);
}

export function renderFeed(format: Format, page: StoryPage, ctx: FeedContext): string {
  const title = `Shiftwire — ${describeQuery(page.plan.wanted)}`;
  const newest = page.rows.reduce((max, r) => (r.firstSeenAt > max ? r.firstSeenAt : max), '1970-01-01T00:00:00.000Z');
  const feedUrl = (f: Format) => `${ctx.publicUrl}/api/v1/stories.${f}${ctx.search}`;
  const clean = format === 'json' ? (s: string) => s : xmlText;
  const feed = new Feed({
    id: `tag:shiftwire,${TAG_DATE}:stories${ctx.search.replace(/([?&])cursor=[^&]*&?/, '$1').replace(/[?&]$/, '')}`,
    title: clean(title),
    description: clean(`Stories tagged by Shiftwire: ${describeQuery(page.plan.wanted)}`),
    link: `${ctx.publicUrl}/api/v1/stories${ctx.search}`,
    updated: new Date(newest),
    generator: 'Shiftwire',
    author: { name: 'Shiftwire' },
    feedLinks: { atom: feedUrl('atom'), rss: feedUrl('rss'), json: feedUrl('json') },
  });
  for (const row of page.rows) feed.addItem(feedItem(row, format, ctx));
  if (format === 'atom') return feed.atom1();
  if (format === 'rss') return feed.rss2();
  return upgradeJsonFeed(feed.json1(), page.rows);
}

export const storyFeedRoutes = (deps: AppDeps, finder: StoryFinder = createStoryFinder(deps.db, deps.tagger)): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const names = new Map([...deps.tagger.companies, ...deps.tagger.themes].map((t) => [t.id, t.name]));
  for (const format of Object.keys(FORMATS) as Format[]) {
    const mediaType = FORMATS[format].split(';')[0]!;
    r.get(`/stories.${format}`, {
      config: { cacheControl: FEED_CACHE },
      schema: {
        summary: `Any stories query as ${format === 'atom' ? 'Atom 1.0' : format === 'rss' ? 'RSS 2.0' : 'JSON Feed 1.1'}`,
        tags: ['feeds out'],
        querystring: StoriesQuerySchema,
        response: { 200: { description: `A ${mediaType} document`, content: { [mediaType]: { schema: z.string() } } }, ...problemResponses },
      },
    }, async (request, reply) => {
      const page = finder.find(request.query);
      const at = request.url.indexOf('?');
      const search = at === -1 ? '' : `?${new URLSearchParams(request.url.slice(at + 1)).toString()}`;
      const body = renderFeed(format, page, { publicUrl: deps.config.publicUrl, search, names });
      return reply.type(FORMATS[format]).send(body);
    });
  }
};
