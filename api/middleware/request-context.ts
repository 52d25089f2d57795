/** Gives each request an id (kept from X-Request-Id when sane), a child logger and timing metrics. */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../observability/logger';
import { httpDuration, httpRequests } from '../../observability/metrics';
import type { AppState } from '../deps';
import { methodLabel, routeLabel } from '../routing';

const SAFE_ID = /^[\w.-]{1,64}$/;

/**
 * Per-request state whose logger is made on first use: most requests never log, and a pino child (its
 * bindings serialised) cost more than the rest of this middleware. A class, so that no closure is built per
 * request.
 */
export class RequestState implements AppState {
  declare route?: string;
  declare principal?: AppState['principal'];
  declare authMode?: AppState['authMode'];
  declare credentialsRejected?: boolean;
  declare authUnavailable?: boolean;
  #log: Logger | undefined;

  constructor(
    readonly requestId: string,
    private readonly base: Logger,
  ) {}

  get log(): Logger {
    return (this.#log ??= this.base.child({ reqId: this.requestId }));
  }

  set log(value: Logger) {
    this.#log = value;
  }
}

/** The request's id: the client's X-Request-Id when it is a sane one, else a new UUID. */
export const requestIdFor = (incoming: string | undefined): string =>
  incoming !== undefined && SAFE_ID.test(incoming) ? incoming : randomUUID();

export function requestContext(log: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const id = requestIdFor(ctx.get('x-request-id'));
    // Whatever an earlier middleware put into Koa's fresh state is kept.
    ctx.state = Object.assign(new RequestState(id, log), ctx.state);
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
