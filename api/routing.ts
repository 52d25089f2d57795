/**
 * What every router of the app shares: exact, case-sensitive paths (so `/Metrics` or `/health/` can never
 * slip past a proxy rule written for `/metrics` or `/health`), one answer for methods a path does not take
 * (405 with `Allow`, also for methods no route knows, such as TRACE), and metric labels from fixed sets:
 * nothing a client invents may add a time series.
 */
import { Router } from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AppState } from './deps';
import { HttpError } from './errors';

/** A router whose paths match exactly: case-sensitive, and a trailing slash is a different path. */
export function createRouter(): Router<AppState> {
  return new Router<AppState>({ sensitive: true, strict: true });
}

/** Methods some route of the app may take; any other method is refused everywhere with 405. */
const STANDARD_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The `method` label: one of the standard methods, or `other`. */
export function methodLabel(method: string): string {
  return STANDARD_METHODS.has(method) ? method : 'other';
}

/** The `route` label: the route name a handler set (a literal in code), else `unmatched`. */
export function routeLabel(ctx: Pick<Context, 'state'>): string {
  return (ctx.state as Partial<AppState>).route ?? 'unmatched';
}

const methodNotAllowed = (allowed: string[]) =>
  new HttpError(405, 'Method not allowed', { Allow: allowed.join(', ') });

/**
 * Runs after every router (mount it inside the error middleware, before them): a request no route answered
 * gets 204 with `Allow` for OPTIONS on a known path, 405 with `Allow` when the path exists under other
 * methods or the method is not one any route takes, and stays a 404 otherwise. Logged at debug only:
 * scanners send such requests all day.
 */
export function methodGuard(routers: readonly Router<AppState>[]): Middleware<AppState> {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null || ctx.state.route !== undefined) return;
    const allowed = new Set<string>();
    for (const router of routers) {
      for (const layer of router.stack) if (layer.methods.length > 0 && layer.match(ctx.path)) layer.methods.forEach((m) => allowed.add(m));
    }
    const list = [...allowed].sort();
    if (list.length > 0 && ctx.method === 'OPTIONS') {
      ctx.set('Allow', list.join(', '));
      ctx.status = 204;
      return;
    }
    if (list.length > 0 || !STANDARD_METHODS.has(ctx.method)) {
      ctx.state.log.debug({ method: methodLabel(ctx.method), allowed: list }, 'method not allowed');
      throw methodNotAllowed(list);
    }
  };
}
