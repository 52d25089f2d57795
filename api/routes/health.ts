/** GET /health (the seed's shape, 503 when any dependency is down) and GET /ready (for load balancers). */
import type { Router } from '@koa/router';
import { allHealthy } from '../../infra/health';
import { z } from 'zod';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { documentRoute, jsonContent } from '../openapi';

const Check = z.enum(['healthy', 'unhealthy']);
const HealthSchema = z
  .object({ status: Check, database: Check, cache: Check, checks: z.record(z.string(), z.string()) })
  .meta({ id: 'Health' });
const ReadySchema = z
  .object({ status: z.enum(['ready', 'not_ready']), accepting: z.boolean(), checks: z.record(z.string(), z.string()) })
  .meta({ id: 'Ready' });
documentRoute('get', '/health', {
  summary: 'Dependency health (503 when any dependency is unhealthy)',
  responses: {
    '200': { description: 'All healthy', content: jsonContent(HealthSchema) },
    '503': { description: 'Something is unhealthy', content: jsonContent(HealthSchema) },
  },
});
documentRoute('get', '/ready', {
  summary: 'Readiness for load balancers (503 while draining or when a dependency is down)',
  responses: {
    '200': { description: 'Ready', content: jsonContent(ReadySchema) },
    '503': { description: 'Not ready', content: jsonContent(ReadySchema) },
  },
});

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
