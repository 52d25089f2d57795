/**
 * GET /metrics on the public port, only when METRICS_TOKEN is set and only for requests bearing it: the
 * metrics (Node version, memory, per-route traffic, Kafka lag) are served on METRICS_PORT by default,
 * which an operator keeps on a private network.
 */
import type { Router } from '@koa/router';
import { registry } from '../../observability/metrics';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { unauthorized } from '../errors';
import { documentRoute, errorResponses } from '../openapi';

documentRoute('get', '/metrics', {
  summary: 'Prometheus metrics on the public port: only when METRICS_TOKEN is set, for requests bearing it',
  security: [{ bearer: [] }],
  responses: { '200': { description: 'Prometheus text format' }, ...errorResponses([401, 'Token required']) },
});

export function metricsRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  const token = deps.config.METRICS_TOKEN;
  if (!token) return router;
  router.get('/metrics', async (ctx) => {
    ctx.state.route = '/metrics';
    // METRICS_TOKEN (or an admin credential) as resolved by the auth middleware; never open mode's anonymous.
    const role = ctx.state.principal?.anonymous ? undefined : ctx.state.principal?.role;
    if (role !== 'metrics' && role !== 'admin') throw unauthorized('A valid bearer token is required');
    ctx.set('Content-Type', registry.contentType);
    ctx.body = await deps.metricsText();
  });
  return router;
}
