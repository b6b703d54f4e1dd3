import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../ops/metrics.js';

/**
 * `GET /metrics` (Prometheus text format 0.0.4) and an onResponse hook timing every request by its
 * route pattern. The plugin is not encapsulated (the `skip-override` mark, what fastify-plugin sets),
 * so the hook sees every route of the app, whichever order plugins are registered in.
 */
export function metricsPlugin(metrics: Metrics): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = await metrics.scrape();
      return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
    });
  };
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'shiftwire-metrics' });
  return plugin;
}
