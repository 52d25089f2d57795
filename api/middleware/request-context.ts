/** Gives each request an id (kept from X-Request-Id when sane), a child logger and timing metrics. */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../observability/logger';
import { httpDuration, httpRequests } from '../../observability/metrics';
import type { AppState } from '../deps';
import { methodLabel, routeLabel } from '../routing';

const SAFE_ID = /^[\w.-]{1,64}$/;

export function requestContext(log: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = log.child({ reqId: id });
    ctx.set('X-Request-Id', id);
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // Labels from fixed sets only: whatever method or path a client invents, no new series appear.
      const route = routeLabel(ctx);
      const method = methodLabel(ctx.method);
      httpRequests.inc({ method, route, status: String(ctx.status) });
      httpDuration.observe({ method, route }, seconds);
      if (ctx.status >= 500) ctx.state.log.warn({ status: ctx.status, path: ctx.path, seconds }, 'request failed');
    }
  };
}
