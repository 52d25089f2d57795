/** GET /metrics: Prometheus text, behind a bearer token whenever METRICS_TOKEN is set. */
import { timingSafeEqual } from 'node:crypto';
import { Router } from '@koa/router';
import { registry } from '../../observability/metrics';
import type { AppDeps, AppState } from '../deps';
import { unauthorized } from '../errors';

/** Constant-time comparison of a presented secret with the expected one. */
export function secretEquals(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function metricsRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const token = deps.config.METRICS_TOKEN;
  router.get('/metrics', async (ctx) => {
    ctx.state.route = '/metrics';
    if (token) {
      const header = ctx.get('authorization');
      const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!secretEquals(presented, token)) throw unauthorized('A valid bearer token is required');
    }
    ctx.set('Content-Type', registry.contentType);
    ctx.body = await registry.metrics();
  });
  return router;
}
