/** GET /health (the seed's shape, 503 when any dependency is down) and GET /ready (for load balancers). */
import type { Router } from '@koa/router';
import { allHealthy, type DependencyName } from '../../infra/health';
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
  summary: 'Readiness for load balancers (503 while draining or when PostgreSQL or the cache Redis is down; other dependencies are reported, not gated)',
  responses: {
    '200': { description: 'Ready', content: jsonContent(ReadySchema) },
    '503': { description: 'Not ready', content: jsonContent(ReadySchema) },
  },
});

/** The dependencies /ready gates on; the others are only reported. */
export const READY_GATES: readonly DependencyName[] = ['postgres', 'redis_cache'];

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
    // Gate only on what requests are served from: redirects and creates need PostgreSQL and the cache Redis.
    // Kafka, ClickHouse, Temporal and the queue Redis have fallbacks (or are off the request path), so an
    // outage there is reported by /health and here, but never takes every replica out of the balancer.
    const ok = accepting && READY_GATES.every((name) => checks[name] === 'healthy');
    ctx.status = ok ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: ok ? 'ready' : 'not_ready', accepting, checks };
  });

  return router;
}
