/**
 * GET /metrics on the public port, only when METRICS_TOKEN is set and only for requests bearing it: the
 * metrics (Node version, memory, per-route traffic, Kafka lag) are served on METRICS_PORT by default,
 * which an operator keeps on a private network.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Router } from '@koa/router';
import { registry } from '../../observability/metrics';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { unauthorized } from '../errors';

/** Constant-time comparison of a presented secret with the expected one. */
export function secretEquals(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function metricsRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  const token = deps.config.METRICS_TOKEN;
  if (!token) return router;
  router.get('/metrics', async (ctx) => {
    ctx.state.route = '/metrics';
    const header = ctx.get('authorization');
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!secretEquals(presented, token)) throw unauthorized('A valid bearer token is required');
    ctx.set('Content-Type', registry.contentType);
    ctx.body = await registry.metrics();
  });
  return router;
}
