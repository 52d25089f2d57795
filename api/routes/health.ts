/** GET /health (the seed's shape, 503 when any dependency is down) and GET /ready (for load balancers). */
import type { Router } from '@koa/router';
import { allHealthy } from '../../infra/health';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';

export function healthRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();

  router.get('/health', async (ctx) => {
    ctx.state.route = '/health';
    const checks = await deps.health();
    const ok = allHealthy(checks);
    ctx.status = ok ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status: ok ? 'healthy' : 'unhealthy',
      database: checks.postgres,
      cache: checks.redis_cache,
      checks,
    };
  });

  router.get('/ready', async (ctx) => {
    ctx.state.route = '/ready';
    const checks = await deps.health();
    const accepting = deps.isAccepting();
    const ok = accepting && allHealthy(checks);
    ctx.status = ok ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: ok ? 'ready' : 'not_ready', accepting, checks };
  });

  return router;
}
