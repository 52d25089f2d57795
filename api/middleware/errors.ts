/** The one error middleware: known errors keep their status and message, anything else is a logged 500. */
import type { Context, Middleware } from 'koa';
import { HttpError } from '../errors';
import type { Logger } from '../../observability/logger';
import type { AppState } from '../deps';
import { PAGE_HEADERS, acceptsHtml, errorPage } from '../pages';

/** A browser that meets a 404 or 410 outside the JSON API gets the end-user page instead of raw JSON. */
function htmlInstead(ctx: Context): boolean {
  if (ctx.path.startsWith('/api/') || !acceptsHtml(ctx.get('accept'))) return false;
  const page = errorPage(ctx.status, (ctx.body as { detail?: unknown } | null)?.detail);
  if (page === undefined) return false;
  const status = ctx.status;
  ctx.set(PAGE_HEADERS);
  ctx.body = page;
  ctx.status = status;
  return true;
}

export function errorMiddleware(): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      // No route matched (404) or the method is wrong (405/501 from allowedMethods): still {"detail": ...}.
      if (ctx.status >= 400 && ctx.body == null) {
        const status = ctx.status;
        ctx.body = { detail: ctx.message };
        ctx.status = status; // Koa turns an implicit 404 into 200 when a body is set
      }
      if (ctx.status === 404 || ctx.status === 410) htmlInstead(ctx);
    } catch (err) {
      const answer = errorAnswer(err, ctx.state);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = { detail: answer.detail };
      if (err instanceof HttpError) htmlInstead(ctx);
    }
  };
}

/** The status, headers and `detail` a thrown error answers with (the create fast path answers with it too). */
export function errorAnswer(err: unknown, state: { readonly log: Logger }): { status: number; headers: Record<string, string>; detail: unknown } {
  if (err instanceof HttpError) return { status: err.status, headers: err.headers, detail: err.detail };
  // Errors thrown by Koa itself (ctx.throw, body parsing) carry a client status.
  const status = (err as { status?: unknown }).status;
  const expose = (err as { expose?: unknown }).expose;
  if (typeof status === 'number' && status >= 400 && status < 500 && expose) {
    return { status, headers: {}, detail: (err as Error).message };
  }
  state.log.error({ err }, 'unhandled error');
  return { status: 500, headers: {}, detail: 'Internal server error' };
}
