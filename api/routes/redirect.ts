/**
 * GET/HEAD /{code}: the hot path. It runs as the app's first middleware, before request ids, loggers and the
 * router, and writes the response itself: an LRU hit on a link without a visit limit costs no I/O and no
 * promise (expiry and password are decided from the cached target). A link with max_visits pays one
 * conditional UPDATE per redirect, which is what keeps the limit exact across replicas. Location is set
 * verbatim (ctx.redirect would re-encode it). The click is recorded once the response is written, never before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { LinkTarget } from '../../db/link-cache';
import { consumeVisit, hasVisitsLeft } from '../../db/links';
import { httpDuration, httpRequests } from '../../observability/metrics';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { HttpError, notFound } from '../errors';
import { SECURITY_HEADERS } from '../middleware/security-headers';
import { PAGE_HEADERS, acceptsHtml, errorPage, renderPasswordPage } from '../pages';
import { isPossibleCode } from './links.schema';

export const REDIRECT_ROUTE = '/{code}';
const NOT_FOUND_BODY = JSON.stringify({ detail: 'Short URL not found' });
export const EXPIRED_BODY = JSON.stringify({ detail: 'Short URL expired' });
export const USED_UP_BODY = JSON.stringify({ detail: 'Short URL reached its visit limit' });
const PASSWORD_BODY = JSON.stringify({ detail: 'Password required' });

// Children bound once: label lookups on every request would cost more than the rest of the hot path.
const bound = (method: 'GET' | 'HEAD') => ({
  307: httpRequests.labels(method, REDIRECT_ROUTE, '307'),
  401: httpRequests.labels(method, REDIRECT_ROUTE, '401'),
  404: httpRequests.labels(method, REDIRECT_ROUTE, '404'),
  410: httpRequests.labels(method, REDIRECT_ROUTE, '410'),
  503: httpRequests.labels(method, REDIRECT_ROUTE, '503'),
  duration: httpDuration.labels(method, REDIRECT_ROUTE),
});
const metricsFor = { GET: bound('GET'), HEAD: bound('HEAD') };

/** An error answer: an end-user page for a browser (404, 410), else the API's JSON body (`body`, pre-serialised). */
export function sendError(req: IncomingMessage, res: ServerResponse, status: number, body: string, head: boolean): void {
  const page = acceptsHtml(req.headers.accept) ? errorPage(status, (JSON.parse(body) as { detail: unknown }).detail) : undefined;
  const type = page ? PAGE_HEADERS : { 'Content-Type': 'application/json; charset=utf-8' };
  const out = page ?? body;
  // The page's own policy (Content-Security-Policy with its style hash) overrides the general one.
  res.writeHead(status, { ...SECURITY_HEADERS, ...type, 'Content-Length': Buffer.byteLength(out) });
  res.end(head ? undefined : out);
}

/** Writes the password form page (401) with the end-user pages' strict CSP. */
export function sendPasswordPage(res: ServerResponse, code: string, wrong: boolean, head: boolean): void {
  const html = renderPasswordPage(code, { wrong });
  res.writeHead(401, { ...SECURITY_HEADERS, ...PAGE_HEADERS, 'Content-Length': Buffer.byteLength(html) });
  res.end(head ? undefined : html);
}

export function sendRedirect(res: ServerResponse, url: string, status = 307): void {
  try {
    res.writeHead(status, { ...SECURITY_HEADERS, Location: url, 'Content-Length': '0' });
  } catch {
    // Only rows written before validation existed can hold characters a header cannot carry.
    res.writeHead(status, { ...SECURITY_HEADERS, Location: new URL(url).href, 'Content-Length': '0' });
  }
  res.end();
}

/** True when the client prefers a page to JSON (a browser). */
export const wantsHtml = (req: IncomingMessage): boolean => acceptsHtml(req.headers.accept);

/**
 * The destination with the request's query string merged in (forward_query): appended after the stored
 * query, before any fragment. The stored URL is otherwise kept byte for byte.
 */
export function withQuery(url: string, query: string): string {
  if (!query) return url;
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}${query}${fragment}`;
}

/** The raw query string of a request URL (without '?'). */
export const rawQuery = (url: string | undefined): string => {
  const q = url?.indexOf('?') ?? -1;
  return q < 0 || !url ? '' : url.slice(q + 1);
};

/** True when a cached target has passed its expiry. */
export const isExpired = (t: LinkTarget, now = Date.now()): boolean => t.expiresAt !== null && now >= t.expiresAt;

/** The redirect fast path; anything that is not GET/HEAD of a possible code goes to the next middleware. */
export function redirectFastPath(deps: AppDeps): Middleware<AppState> {
  const { resolver, clicks, log, pool } = deps;
  // Called after res.end(): the response is already written to the socket, so recording cannot delay it.
  const record = (req: IncomingMessage, code: string, ip: string) =>
    clicks.record({
      shortCode: code,
      at: Date.now(),
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
    const done = (status: 307 | 401 | 404 | 410 | 503) => {
      m[status].inc();
      m.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
    };
    const fail = (err: unknown) => {
      const status = err instanceof HttpError ? err.status : 503;
      const detail = err instanceof HttpError ? err.detail : 'Service unavailable';
      if (!(err instanceof HttpError)) log.error({ err, code }, 'redirect lookup failed');
      sendError(ctx.req, res, status, JSON.stringify({ detail }), head);
      done(503);
    };

    let target = resolver.peek(code);
    if (target === undefined) {
      try {
        target = await resolver.resolve(code);
      } catch (err) {
        return fail(err);
      }
    }
    if (target === null) {
      sendError(ctx.req, res, 404, NOT_FOUND_BODY, head);
      return done(404);
    }
    // Expired, password and used-up answers are not clicks: nothing is recorded for them.
    if (isExpired(target)) {
      sendError(ctx.req, res, 410, EXPIRED_BODY, head);
      return done(410);
    }
    if (target.password) {
      if (wantsHtml(ctx.req)) sendPasswordPage(res, code, false, head);
      else {
        res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(PASSWORD_BODY) });
        res.end(head ? undefined : PASSWORD_BODY);
      }
      return done(401);
    }
    if (target.limited) {
      try {
        // HEAD is not a visit: it reports whether one is left without using it.
        const outcome = head ? ((await hasVisitsLeft(pool, code)) ? 'counted' : 'exhausted') : await consumeVisit(pool, code);
        if (outcome === 'missing') {
          sendError(ctx.req, res, 404, NOT_FOUND_BODY, head);
          return done(404);
        }
        if (outcome !== 'counted') {
          sendError(ctx.req, res, 410, outcome === 'expired' ? EXPIRED_BODY : USED_UP_BODY, head);
          return done(410);
        }
      } catch (err) {
        log.error({ err, code }, 'visit count failed');
        return fail(new HttpError(503, 'Database unavailable'));
      }
    }
    sendRedirect(res, target.forwardQuery ? withQuery(target.url, rawQuery(ctx.req.url)) : target.url);
    if (!head) record(ctx.req, code, ctx.ip);
    done(307);
  };
}

/**
 * Single-segment paths the fast path did not take (reserved words, impossible codes): 404 without any
 * lookup. Mount it after every other router so real routes win.
 */
export function redirectRoutes(): Router<AppState> {
  const router = createRouter();
  router.get('/:code', (ctx) => {
    ctx.state.route = REDIRECT_ROUTE;
    throw notFound();
  });
  return router;
}
