import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createFeedStore, type FeedWithCount } from '../../db/feeds.js';
import type { FeedResult } from '../../ingest/index.js';
import { AppError } from '../../shared/errors.js';
import type { AppDeps } from '../app.js';
import { requireAdmin } from '../auth.js';
import { notFound } from '../errors.js';
import { problemResponses, writeProblemResponses } from '../schemas/common.js';
import { CreateFeedSchema, FeedIdParamsSchema, FeedSchema, RefreshResultSchema, UpdateFeedSchema } from '../schemas/feeds.js';

export function presentFeed(f: FeedWithCount): z.infer<typeof FeedSchema> {
  const status = !f.enabled ? 'disabled' : f.lastError ? 'failing' : f.lastFetchedAt ? 'ok' : 'pending';
  return {
    id: f.id,
    name: f.name,
    url: f.url,
    kind: f.kind,
    enabled: f.enabled,
    origin: f.origin,
    status,
    title: f.title,
    siteUrl: f.siteUrl,
    lastFetchedAt: f.lastFetchedAt,
    lastSuccessAt: f.lastSuccessAt,
    lastStatus: f.lastStatus,
    lastError: f.lastError,
    lastErrorCode: f.lastErrorCode,
    consecutiveFailures: f.consecutiveFailures,
    nextFetchAt: f.nextFetchAt,
    storyCount: f.storyCount,
  };
}

function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug || 'feed';
}

export const feedRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const feeds = createFeedStore(deps.db);
  const admin = requireAdmin(deps.config.adminToken);
  const getWithCount = (id: string): FeedWithCount | undefined => {
    const feed = feeds.getFeed(id);
    return feed && { ...feed, storyCount: feeds.countStories(id) };
  };

  r.get('/', {
    schema: {
      summary: 'Every feed with its state',
      tags: ['feeds'],
      querystring: z.strictObject({}),
      response: { 200: z.object({ feeds: z.array(FeedSchema) }), ...problemResponses },
    },
  }, async () => ({ feeds: feeds.listFeedsWithCounts().map(presentFeed) }));

  r.get('/:id', {
    schema: { summary: 'One feed with its state', tags: ['feeds'], params: FeedIdParamsSchema, querystring: z.strictObject({}), response: { 200: FeedSchema, ...problemResponses } },
  }, async (request) => {
    const feed = getWithCount(request.params.id);
    if (!feed) throw notFound('FEED_NOT_FOUND', `feed "${request.params.id}"`);
    return presentFeed(feed);
  });

  r.post('/', {
    onRequest: admin,
    schema: { summary: 'Add a feed', tags: ['feeds'], security: [{ bearerAuth: [] }], body: CreateFeedSchema, response: { 201: FeedSchema, ...writeProblemResponses } },
  }, async (request, reply) => {
    const body = request.body;
    const id = body.id ?? slugify(body.name);
    if (feeds.getFeed(id)) throw new AppError('FEED_EXISTS', `a feed with id "${id}" already exists`, { details: { parameter: 'body.id' } });
    feeds.createFeed({ id, name: body.name, url: body.url, kind: body.kind, enabled: body.enabled, origin: 'api' }, deps.clock().toISOString());
    reply.code(201).header('location', `/api/v1/feeds/${id}`);
    return presentFeed(getWithCount(id)!);
  });

  r.patch('/:id', {
    onRequest: admin,
    schema: { summary: 'Change a feed', tags: ['feeds'], security: [{ bearerAuth: [] }], params: FeedIdParamsSchema, body: UpdateFeedSchema, response: { 200: FeedSchema, ...writeProblemResponses } },
  }, async (request) => {
    const current = feeds.getFeed(request.params.id);
    if (!current) throw notFound('FEED_NOT_FOUND', `feed "${request.params.id}"`);
    feeds.updateFeed({ ...current, ...request.body, id: current.id }, deps.clock().toISOString());
    return presentFeed(getWithCount(current.id)!);
  });

  r.delete('/:id', {
    onRequest: admin,
    schema: { summary: 'Remove a feed and the stories only it carried', tags: ['feeds'], security: [{ bearerAuth: [] }], params: FeedIdParamsSchema, response: { 204: z.undefined(), ...writeProblemResponses } },
  }, async (request, reply) => {
    if (!feeds.deleteFeed(request.params.id)) throw notFound('FEED_NOT_FOUND', `feed "${request.params.id}"`);
    return reply.code(204).send();
  });

  r.post('/:id/refresh', {
    onRequest: admin,
    schema: { summary: 'Fetch a feed now', tags: ['feeds'], security: [{ bearerAuth: [] }], params: FeedIdParamsSchema, response: { 200: RefreshResultSchema, ...writeProblemResponses } },
  }, async (request) => {
    if (!feeds.getFeed(request.params.id)) throw notFound('FEED_NOT_FOUND', `feed "${request.params.id}"`);
    let result: FeedResult | undefined;
    await deps.ingester.runAfterCurrent({ feedIds: [request.params.id], onFeed: (r) => (result = r) });
    if (!result) throw new AppError('INTERNAL', 'the refresh did not run');
    const { outcome, httpStatus, newStories, knownStories, error, durationMs } = result;
    return { feed: presentFeed(getWithCount(request.params.id)!), result: { outcome, httpStatus, newStories, knownStories, error, durationMs } };
  });
};
