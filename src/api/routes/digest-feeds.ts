import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createDigestStore } from '../../db/digests.js';
import { createSubscriptionStore, type SubscriptionRow } from '../../db/subscriptions.js';
import { digestUrls, escapeHtml, renderDigestFeed, renderDigestHtml } from '../../digests/index.js';
import { AppError } from '../../shared/errors.js';
import type { AppDeps } from '../app.js';
import { problemResponses } from '../schemas/common.js';

/**
 * The URLs that carry a subscription's token instead of the admin token: its digests as Atom and JSON
 * Feed (so any reader can follow them), each digest as a page, and the unsubscribe link of its emails
 * (GET shows a confirmation, POST turns the subscription off: RFC 8058 one-click).
 * An unknown token is a 404, like a URL that never existed.
 */
const FEED_ENTRIES = 20;
const PRIVATE_CACHE = 'private, max-age=300';
const TYPES = { atom: 'application/atom+xml; charset=utf-8', json: 'application/feed+json; charset=utf-8' } as const;
const TokenSchema = z.string().max(100);

function documentResponse(mediaType: string, description: string) {
  return { 200: { description, content: { [mediaType]: { schema: z.string() } } }, ...problemResponses };
}

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:560px;margin:40px auto;padding:0 16px">${body}</body></html>`
  );
}

/** Token pages must not leak the token onward (Referer) nor be indexed. */
function privateHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex, nofollow');
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export const digestFeedRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const subs = createSubscriptionStore(deps.db);
  const digests = createDigestStore(deps.db);
  const bySubscriptionToken = (token: string): SubscriptionRow => {
    const sub = subs.getSubscriptionByToken(token);
    if (!sub) throw new AppError('NOT_FOUND', 'there is no digest feed at this address');
    return sub;
  };

  // RFC 8058 one-click unsubscribe posts a form body (urlencoded or multipart); its content does not matter.
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'], { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => done(null, body));

  for (const format of ['atom', 'json'] as const) {
    r.get(`/digests/:token.${format}`, {
      config: { cacheControl: PRIVATE_CACHE },
      schema: {
        summary: `A subscription's digests as ${format === 'atom' ? 'Atom 1.0' : 'JSON Feed 1.1'} (the URL is the credential)`,
        tags: ['digests'],
        params: z.strictObject({ token: TokenSchema }),
        response: documentResponse(TYPES[format].split(';')[0]!, 'The digest feed'),
      },
    }, async (request, reply) => {
      const sub = bySubscriptionToken(request.params.token);
      const urls = digestUrls(deps.config.publicUrl, sub.token);
      const body = renderDigestFeed(format, {
        subscription: { id: sub.id, name: sub.name, timezone: sub.schedule.timezone, createdAt: sub.createdAt },
        digests: digests.listDigests(sub.id, FEED_ENTRIES),
        urls: { atom: urls.atom, json: urls.json, home: deps.config.publicUrl, page: urls.page },
      });
      return privateHeaders(reply).type(TYPES[format]).send(body);
    });
  }

  r.get('/digests/:token/:digestId', {
    config: { cacheControl: PRIVATE_CACHE },
    schema: {
      summary: 'One digest as a web page',
      tags: ['digests'],
      params: z.strictObject({ token: TokenSchema, digestId: z.string().max(100) }),
      response: documentResponse('text/html', 'The digest'),
    },
  }, async (request, reply) => {
    const sub = bySubscriptionToken(request.params.token);
    const digest = digests.getDigest(request.params.digestId);
    if (!digest || digest.subscriptionId !== sub.id) throw new AppError('DIGEST_NOT_FOUND', 'this digest does not exist');
    const urls = digestUrls(deps.config.publicUrl, sub.token);
    const html = renderDigestHtml({ subscription: { id: sub.id, name: sub.name, timezone: sub.schedule.timezone }, digest }, { feedUrl: urls.atom });
    return privateHeaders(reply).type('text/html; charset=utf-8').send(html);
  });

  const UnsubscribedSchema = z.object({ subscription: z.string(), enabled: z.boolean(), unsubscribed: z.boolean() });

  r.get('/unsubscribe/:token', {
    config: { cacheControl: 'no-store' },
    schema: {
      summary: 'Confirm unsubscribing (does not unsubscribe: mail scanners open links)',
      tags: ['digests'],
      params: z.strictObject({ token: TokenSchema }),
      response: { 200: { description: 'A confirmation page (or JSON with Accept: application/json)', content: { 'text/html': { schema: z.string() }, 'application/json': { schema: UnsubscribedSchema } } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const sub = bySubscriptionToken(request.params.token);
    privateHeaders(reply);
    if (wantsJson(request)) return reply.type('application/json; charset=utf-8').send(JSON.stringify({ subscription: sub.name, enabled: sub.enabled, unsubscribed: !sub.enabled }));
    const name = escapeHtml(sub.name);
    const body = sub.enabled
      ? `<h1>Unsubscribe from “${name}”?</h1><p>You will get no more digests from this subscription.</p>` +
        `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`
      : `<h1>You are unsubscribed from “${name}”.</h1>`;
    return reply.type('text/html; charset=utf-8').send(page('Unsubscribe', body));
  });

  r.post('/unsubscribe/:token', {
    schema: {
      summary: 'Unsubscribe: turns the subscription off (RFC 8058 one-click)',
      tags: ['digests'],
      params: z.strictObject({ token: TokenSchema }),
      response: { 200: { description: 'Done (also when it was already off)', content: { 'text/html': { schema: z.string() }, 'application/json': { schema: UnsubscribedSchema } } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const sub = bySubscriptionToken(request.params.token);
    subs.disableSubscription(sub.id, deps.clock().toISOString());
    deps.log.info({ subscriptionId: sub.id }, 'subscription turned off by its unsubscribe link');
    privateHeaders(reply).header('cache-control', 'no-store');
    if (wantsJson(request)) return reply.type('application/json; charset=utf-8').send(JSON.stringify({ subscription: sub.name, enabled: false, unsubscribed: true }));
    return reply.type('text/html; charset=utf-8').send(page('Unsubscribed', `<h1>You are unsubscribed from “${escapeHtml(sub.name)}”.</h1>`));
  });
};
