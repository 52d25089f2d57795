/**
 * GET/HEAD /{code}: the hot path. It runs as the app's first middleware, before request ids, loggers and the
 * router, and writes the response itself: an LRU hit costs no I/O and no promise. Location is set verbatim
 * (ctx.redirect would re-encode it). The click is recorded once the response is written, never before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { httpDuration, httpRequests } from '../../observability/metrics';
import type { AppDeps, AppState } from '../deps';
import { HttpError, notFound } from '../errors';
import { SECURITY_HEADERS } from '../middleware/security-headers';
import { PAGE_HEADERS, acceptsHtml, errorPage } from '../pages';
import { createRouter } from '../routing';
import { isPossibleCode } from './links.schema';

const ROUTE = '/{code}';
const NOT_FOUND_BODY = JSON.stringify({ detail: 'Short URL not found' });

// Children bound once: label lookups on every request would cost more than the rest of the hot path.
const bound = (method: 'GET' | 'HEAD') => ({
  307: httpRequests.labels(method, ROUTE, '307'),
  404: httpRequests.labels(method, ROUTE, '404'),
  503: httpRequests.labels(method, ROUTE, '503'),
  duration: httpDuration.labels(method, ROUTE),
});
const metricsFor = { GET: bound('GET'), HEAD: bound('HEAD') };

/** An error answer: an end-user page for a browser (404, 410), else the API's JSON body. */
function sendError(req: IncomingMessage, res: ServerResponse, status: number, detail: string, head: boolean): void {
  const page = acceptsHtml(req.headers.accept) ? errorPage(status, detail) : undefined;
  const body = page ?? (status === 404 ? NOT_FOUND_BODY : JSON.stringify({ detail }));
  const type = page ? PAGE_HEADERS : { 'Content-Type': 'application/json; charset=utf-8' };
  // The page's own policy (Content-Security-Policy with its style hash) overrides the general one.
  res.writeHead(status, { ...SECURITY_HEADERS, ...type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

function sendRedirect(res: ServerResponse, url: string): void {
  try {
    res.writeHead(307, { ...SECURITY_HEADERS, Location: url, 'Content-Length': '0' });
  } catch {
    // Only rows written before validation existed can hold characters a header cannot carry.
    res.writeHead(307, { ...SECURITY_HEADERS, Location: new URL(url).href, 'Content-Length': '0' });
  }
  res.end();
}

/** The redirect fast path; anything that is not GET/HEAD of a possible code goes to the next middleware. */
export function redirectFastPath(deps: AppDeps): Middleware<AppState> {
  const { resolver, clicks, log } = deps;
  // Called after res.end(): the response is already written to the socket, so recording cannot delay it.
  const record = (req: IncomingMessage, code: string, ip: string) =>
    clicks.record({
      shortCode: code,
      at: new Date(),
      referrer: req.headers.referer ?? '',
      userAgent: req.headers['user-agent'] ?? '',
      ip,
    });

  return async (ctx, next) => {
    const method = ctx.method;
    if (method !== 'GET' && method !== 'HEAD') return next();
    const code = ctx.path.slice(1);
    if (!isPossibleCode(code)) return next();
    const start = process.hrtime.bigint();
    const m = metricsFor[method];
    const head = method === 'HEAD';
    ctx.respond = false;
    const res = ctx.res;

    let url = resolver.peek(code);
    if (url === undefined) {
      try {
        url = await resolver.resolve(code);
      } catch (err) {
        const status = err instanceof HttpError ? err.status : 503;
        const detail = err instanceof HttpError ? err.detail : 'Service unavailable';
        if (!(err instanceof HttpError)) log.error({ err, code }, 'redirect lookup failed');
        sendError(ctx.req, res, status, String(detail), head);
        m[503].inc();
        m.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
        return;
      }
    }
    if (url === null) {
      sendError(ctx.req, res, 404, 'Short URL not found', head);
      m[404].inc();
    } else {
      sendRedirect(res, url);
      if (!head) record(ctx.req, code, ctx.ip);
      m[307].inc();
    }
    m.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
  };
}

/**
 * Single-segment paths the fast path did not take (reserved words, impossible codes): 404 without any
 * lookup, and 405 for other methods. Mount it after every other router so real routes win.
 */
export function redirectRoutes(): Router<AppState> {
  const router = createRouter();
  router.get('/:code', (ctx) => {
    ctx.state.route = ROUTE;
    throw notFound();
  });
  return router;
}
