import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createDigestStore, type DigestRow } from '../../db/digests.js';
import { createFeedStore } from '../../db/feeds.js';
import { createSubscriptionStore, type SubscriptionFilter, type SubscriptionRow } from '../../db/subscriptions.js';
import {
  canonicalTimeZone,
  changeSubscription,
  describeSchedule,
  digestUrls,
  newSubscription,
  newToken,
  type Schedule,
  type SubscriptionInput,
} from '../../digests/index.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { AppDeps } from '../app.js';
import { requireAdmin } from '../auth.js';
import { notFound } from '../errors.js';
import { compileFtsQuery } from '../fts-query.js';
import { problemResponses, writeProblemResponses } from '../schemas/common.js';
import {
  createSubscriptionBodySchemas,
  DigestListQuerySchema,
  DigestSchema,
  SubscriptionIdParamsSchema,
  SubscriptionSchema,
  type ScheduleInput,
} from '../schemas/subscriptions.js';
import { digestFeedRoutes } from './digest-feeds.js';


function toSchedule(s: ScheduleInput): Schedule {
  const timezone = canonicalTimeZone(s.timezone)!;
  if (s.cron !== undefined) return { cron: s.cron.trim().split(/\s+/).join(' '), timezone };
  if (s.every === 'weekly') return { every: 'weekly', weekday: s.weekday!, time: s.time!, timezone };
  return { every: 'daily', time: s.time!, timezone };
}

function badBody(parameter: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${parameter.replace(/^body\./, '')}: ${message}`, { details: { parameter } });
}

/**
 * Subscriptions (admin token): CRUD, and each one's digests with their deliveries. Also mounts the
 * token URLs (feeds, digest pages, unsubscribe), so app.ts registers digests with one line.
 */
export const subscriptionRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = deps.config;
  const subs = createSubscriptionStore(deps.db);
  const digests = createDigestStore(deps.db);
  const feeds = createFeedStore(deps.db);
  const admin = requireAdmin(deps.config.adminToken);
  const bodies = createSubscriptionBodySchemas({
    companies: new Set(deps.tagger.companies.map((c) => c.id)),
    themes: new Set(deps.tagger.themes.map((t) => t.id)),
    smtpConfigured: Boolean(config.smtpUrl),
    allowPrivateNetwork: config.allowPrivateNetwork ?? false,
  });
  const security = [{ bearerAuth: [] }];

  function present(s: SubscriptionRow, generatedSecret?: string): z.infer<typeof SubscriptionSchema> {
    const urls = digestUrls(deps.config.publicUrl, s.token);
    const webhook = s.webhookUrl ? { url: s.webhookUrl, hasSecret: s.webhookSecret !== null, ...(generatedSecret ? { secret: generatedSecret } : {}) } : null;
    return {
      id: s.id,
      name: s.name,
      enabled: s.enabled,
      token: s.token,
      feedUrl: urls.atom,
      jsonFeedUrl: urls.json,
      unsubscribeUrl: urls.unsubscribe,
      filter: s.filter,
      schedule: s.schedule,
      scheduleText: describeSchedule(s.schedule),
      maxStories: s.maxStories,
      sendEmpty: s.sendEmpty ?? config.digestSendEmpty ?? false,
      webhook,
      email: s.email,
      windowStart: s.windowEnd,
      nextDigestAt: s.nextDigestAt,
      lastDigestAt: s.lastDigestAt,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  }

  function presentDigest(sub: SubscriptionRow, d: DigestRow, deliveries: ReturnType<typeof digests.listDeliveries>): z.infer<typeof DigestSchema> {
    const { id, windowStart, windowEnd, generatedAt, storyCount, groupCount, groups } = d;
    const list = (deliveries.get(d.id) ?? []).map(({ digestId: _d, createdAt: _c, ...rest }) => rest);
    return { id, windowStart, windowEnd, generatedAt, storyCount, groupCount, url: digestUrls(deps.config.publicUrl, sub.token).page(d.id), groups, deliveries: list };
  }

  /** Sources must be known feeds; q must compile to a search (the same rules as GET /stories). */
  function checkFilter(filter: Omit<SubscriptionFilter, 'q'> & { q?: string | undefined }): Pick<SubscriptionInput, 'filter' | 'filterMatch'> {
    filter.sources.forEach((id, i) => {
      if (!feeds.getFeed(id)) throw badBody(`body.filter.sources[${i}]`, `unknown feed id "${id}"`);
    });
    let filterMatch: string | null = null;
    if (filter.q !== undefined) {
      try {
        filterMatch = compileFtsQuery(filter.q);
      } catch (err) {
        throw isAppError(err) ? badBody('body.filter.q', err.message.replace(/^q /, '')) : err;
      }
    }
    return { filter: { ...filter, q: filter.q ?? null }, filterMatch };
  }

  const getOr404 = (id: string): SubscriptionRow => {
    const sub = subs.getSubscription(id);
    if (!sub) throw notFound('SUBSCRIPTION_NOT_FOUND', `subscription "${id}"`);
    return sub;
  };

  r.post('/subscriptions', {
    onRequest: admin,
    schema: { summary: 'Subscribe to a digest', tags: ['digests'], security, body: bodies.create, response: { 201: SubscriptionSchema, ...writeProblemResponses } },
  }, async (request, reply) => {
    const b = request.body;
    const generatedSecret = b.webhook && !b.webhook.secret ? newToken() : undefined;
    const row = newSubscription({
      name: b.name,
      ...checkFilter(b.filter),
      schedule: toSchedule(b.schedule),
      maxStories: b.maxStories,
      sendEmpty: b.sendEmpty ?? null,
      webhookUrl: b.webhook?.url ?? null,
      webhookSecret: b.webhook ? (b.webhook.secret ?? generatedSecret!) : null,
      email: b.email ?? null,
      enabled: b.enabled,
    }, deps.clock());
    subs.insertSubscription(row);
    reply.code(201).header('location', `/api/v1/subscriptions/${row.id}`);
    return present(row, generatedSecret);
  });

  r.get('/subscriptions', {
    onRequest: admin,
    schema: { summary: 'Every subscription', tags: ['digests'], security, querystring: z.strictObject({}), response: { 200: z.object({ subscriptions: z.array(SubscriptionSchema) }), ...writeProblemResponses } },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { subscriptions: subs.listSubscriptions().map((s) => present(s)) };
  });

  r.get('/subscriptions/:id', {
    onRequest: admin,
    schema: { summary: 'One subscription', tags: ['digests'], security, params: SubscriptionIdParamsSchema, querystring: z.strictObject({}), response: { 200: SubscriptionSchema, ...writeProblemResponses } },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return present(getOr404(request.params.id));
  });

  r.patch('/subscriptions/:id', {
    onRequest: admin,
    schema: { summary: 'Change a subscription', tags: ['digests'], security, params: SubscriptionIdParamsSchema, body: bodies.update, response: { 200: SubscriptionSchema, ...writeProblemResponses } },
  }, async (request) => {
    const current = getOr404(request.params.id);
    const b = request.body;
    const changes: Partial<SubscriptionInput> = {};
    if (b.name !== undefined) changes.name = b.name;
    if (b.filter !== undefined) Object.assign(changes, checkFilter(b.filter));
    if (b.schedule !== undefined) changes.schedule = toSchedule(b.schedule);
    if (b.maxStories !== undefined) changes.maxStories = b.maxStories;
    if (b.sendEmpty !== undefined) changes.sendEmpty = b.sendEmpty;
    if (b.email !== undefined) changes.email = b.email;
    if (b.enabled !== undefined) changes.enabled = b.enabled;
    let generatedSecret: string | undefined;
    if (b.webhook !== undefined) {
      // A new URL without a secret keeps the current secret; a first webhook without one gets a new one.
      generatedSecret = b.webhook && !b.webhook.secret && !current.webhookSecret ? newToken() : undefined;
      changes.webhookUrl = b.webhook?.url ?? null;
      changes.webhookSecret = b.webhook ? (b.webhook.secret ?? current.webhookSecret ?? generatedSecret!) : null;
    }
    const next = changeSubscription(current, changes, deps.clock(), b.rotateToken === true);
    subs.updateSubscription(next);
    return present(next, generatedSecret);
  });

  r.delete('/subscriptions/:id', {
    onRequest: admin,
    schema: { summary: 'Delete a subscription and its digests', tags: ['digests'], security, params: SubscriptionIdParamsSchema, response: { 204: z.undefined(), ...writeProblemResponses } },
  }, async (request, reply) => {
    if (!subs.deleteSubscription(request.params.id)) throw notFound('SUBSCRIPTION_NOT_FOUND', `subscription "${request.params.id}"`);
    return reply.code(204).send();
  });

  r.get('/subscriptions/:id/digests', {
    onRequest: admin,
    schema: {
      summary: "A subscription's digests, newest first, with their stories and each delivery's status, attempts and last error",
      tags: ['digests'],
      security,
      params: SubscriptionIdParamsSchema,
      querystring: DigestListQuerySchema,
      response: { 200: z.object({ digests: z.array(DigestSchema), next: z.string().nullable().describe('Pass as ?before= for the next page') }), ...problemResponses },
    },
  }, async (request, reply) => {
    const sub = getOr404(request.params.id);
    const { limit, before } = request.query;
    const rows = digests.listDigests(sub.id, limit + 1, before === undefined ? undefined : new Date(before).toISOString());
    const pageRows = rows.slice(0, limit);
    const deliveries = digests.listDeliveries(pageRows.map((d) => d.id));
    reply.header('cache-control', 'no-store');
    return { digests: pageRows.map((d) => presentDigest(sub, d, deliveries)), next: rows.length > limit ? pageRows.at(-1)!.windowEnd : null };
  });

  await app.register(digestFeedRoutes(deps));
};
