import cors from '@fastify/cors';
import etag from '@fastify/etag';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../config/index.js';
import type { Db } from '../db/open.js';
import type { Ingester } from '../ingest/index.js';
import type { Metrics } from '../ops/metrics.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Tagger } from '../tagging/index.js';
import { handleFrameworkError, problem, registerErrorHandling } from './errors.js';
import { feedRoutes } from './routes/feeds.js';
import { healthRoutes } from './routes/health.js';
import { metricsPlugin } from './routes/metrics.js';
import { storyFeedRoutes } from './routes/stories-feed.js';
import { storyRoutes } from './routes/stories.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { tagRoutes } from './routes/tags.js';
import { createStoryFinder } from './story-filter.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Cache-Control for this route's successful GET answers (default: no-cache, i.e. revalidate with the ETag). */
    cacheControl?: string;
  }
}

export interface AppDeps {
  db: Db;
  config: Pick<Config, 'adminToken' | 'rateLimitMax' | 'publicUrl'> & Partial<Pick<Config, 'smtpUrl' | 'allowPrivateNetwork' | 'digestSendEmpty'>>;
  log: Logger;
  clock: Clock;
  ingester: Ingester;
  tagger: Tagger;
  scheduler?: { isAlive(): boolean };
  metrics?: Metrics;
  version?: string;
}

/** Builds the API without listening (tests use port 0; `serve` calls listen). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    requestTimeout: 30_000,
    frameworkErrors: handleFrameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  // strictPreflight off: an OPTIONS without Access-Control-Request-Method gets the CORS headers (204), not
  // the plugin's own text/plain 400 that would bypass the problem+json error handling.
  await app.register(cors, { origin: '*', methods: ['GET', 'HEAD', 'OPTIONS'], exposedHeaders: ['ETag', 'Link'], strictPreflight: false });
  await app.register(etag);
  if (deps.config.rateLimitMax > 0) {
    await app.register(rateLimit, {
      max: deps.config.rateLimitMax,
      timeWindow: '1 minute',
      allowList: (request) => request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics',
      errorResponseBuilder: (_request, context) => ({
        ...problem(429, 'RATE_LIMITED', `more than ${context.max} requests a minute; try again in ${Math.ceil(context.ttl / 1000)}s`),
        statusCode: 429,
      }),
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Shiftwire API', description: 'Tagged AI-industry news: stories, companies, themes, feeds and digests.', version: deps.version ?? '0.0.0' },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (deps.metrics) await app.register(metricsPlugin(deps.metrics));

  // The route table, one line per resource.
  await app.register(healthRoutes(deps));
  await app.register(feedRoutes(deps), { prefix: '/api/v1/feeds' });
  const finder = createStoryFinder(deps.db, deps.tagger);
  await app.register(storyRoutes(deps, finder), { prefix: '/api/v1/stories' });
  await app.register(storyFeedRoutes(deps, finder), { prefix: '/api/v1' });
  await app.register(tagRoutes(deps), { prefix: '/api/v1' });
  await app.register(subscriptionRoutes(deps), { prefix: '/api/v1' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.addHook('onSend', async (request, reply, payload) => {
    // Successful GETs say how long they may be cached (errors already say no-store).
    if ((request.method === 'GET' || request.method === 'HEAD') && reply.statusCode < 400 && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', request.routeOptions.config.cacheControl ?? 'no-cache');
    }
    // Problem documents keep their own content type even when a plugin answered.
    if (reply.statusCode === 429 && !String(reply.getHeader('content-type') ?? '').includes('problem')) {
      reply.type('application/problem+json; charset=utf-8');
    }
    return payload;
  });
  return app;
}
