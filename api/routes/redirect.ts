/**
 * GET/HEAD /{code}: the hot path. The HTTP server's request handler (api/app.ts) gives it every request
 * first; it answers redirects from node:http's request and response without Koa, request ids, loggers or the
 * router, and hands everything else on: an LRU hit on a link without a visit limit costs no I/O and no
 * promise (expiry and password are decided from the cached target). A link with max_visits pays one
 * conditional UPDATE per redirect, which is what keeps the limit exact across replicas. Location is set
 * verbatim (ctx.redirect would re-encode it). The click is recorded once the response is written, never before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '@koa/router';
import type { LinkTarget } from '../../db/link-cache';
import { consumeVisit, hasVisitsLeft } from '../../db/links';
import { requestRecorder } from '../../observability/metrics';
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

const record = { GET: requestRecorder('GET', REDIRECT_ROUTE), HEAD: requestRecorder('HEAD', REDIRECT_ROUTE) };

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

/**
 * The client address as Koa computes `ctx.ip`: behind `hops` trusted proxies, the hops-th X-Forwarded-For
 * entry from the right (entries further left are whatever the client wrote), else the socket's peer.
 */
export function clientIp(req: IncomingMessage, hops: number): string {
  if (hops > 0) {
    const raw = req.headers['x-forwarded-for'];
    // Node joins repeated X-Forwarded-For lines into one string; the array case is only the type's.
    const header = Array.isArray(raw) ? raw.join(',') : raw;
    if (header) {
      const ips = header.split(/\s*,\s*/).slice(-hops);
      if (ips[0]) return ips[0];
    }
  }
  return req.socket.remoteAddress ?? '';
}

/** A request the redirect handler answers: GET or HEAD of a path that can be a short code. */
function redirectCode(req: IncomingMessage): string | undefined {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const url = req.url;
  // Origin-form only ("/code?query"); anything else (absolute-form, "*") is Koa's to judge.
  if (!url || url.charCodeAt(0) !== 47 /* / */) return undefined;
  const q = url.indexOf('?');
  const code = q < 0 ? url.slice(1) : url.slice(1, q);
  return isPossibleCode(code) ? code : undefined;
}

type Status = 307 | 401 | 404 | 410 | 503;

/** Counts an answer and its duration (module-level, like every function below: no closure per request). */
function done(req: IncomingMessage, status: Status, start: bigint): void {
  record[req.method === 'HEAD' ? 'HEAD' : 'GET'](status, start);
}

/**
 * The redirect handler: answers GET/HEAD /{code} from node:http's request and response, before Koa exists
 * for the request, and returns true; returns false for every other request (the caller hands it to Koa).
 */
export function createRedirectHandler(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { resolver, clicks, log, pool } = deps;
  const hops = deps.config.TRUST_PROXY_HOPS;

  /** The 307 and its click, recorded after res.end(): it cannot delay the response. */
  function redirect(req: IncomingMessage, res: ServerResponse, code: string, target: LinkTarget, start: bigint): void {
    sendRedirect(res, target.forwardQuery ? withQuery(target.url, rawQuery(req.url)) : target.url);
    if (req.method !== 'HEAD') {
      clicks.record({
        shortCode: code,
        at: Date.now(),
        referrer: req.headers.referer ?? '',
        userAgent: req.headers['user-agent'] ?? '',
        ip: clientIp(req, hops),
      });
    }
    done(req, 307, start);
  }

  /** The answer for a looked-up target; a promise only for a link with a visit limit. */
  function answer(req: IncomingMessage, res: ServerResponse, code: string, target: LinkTarget | null, start: bigint): Promise<void> | undefined {
    const head = req.method === 'HEAD';
    if (target === null) {
      sendError(req, res, 404, NOT_FOUND_BODY, head);
      done(req, 404, start);
    } else if (isExpired(target)) {
      // Expired, password and used-up answers are not clicks: nothing is recorded for them.
      sendError(req, res, 410, EXPIRED_BODY, head);
      done(req, 410, start);
    } else if (target.password) {
      if (wantsHtml(req)) sendPasswordPage(res, code, false, head);
      else {
        res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(PASSWORD_BODY) });
        res.end(head ? undefined : PASSWORD_BODY);
      }
      done(req, 401, start);
    } else if (target.limited) {
      return limited(req, res, code, target, start);
    } else {
      redirect(req, res, code, target, start);
    }
    return undefined;
  }

  /** A link with max_visits: one conditional UPDATE decides, so the limit holds across replicas. */
  async function limited(req: IncomingMessage, res: ServerResponse, code: string, target: LinkTarget, start: bigint): Promise<void> {
    const head = req.method === 'HEAD';
    let outcome: Awaited<ReturnType<typeof consumeVisit>>;
    try {
      // HEAD is not a visit: it reports whether one is left without using it.
      outcome = head ? ((await hasVisitsLeft(pool, code)) ? 'counted' : 'exhausted') : await consumeVisit(pool, code);
    } catch (err) {
      log.error({ err, code }, 'visit count failed');
      throw new HttpError(503, 'Database unavailable');
    }
    if (outcome === 'counted') return redirect(req, res, code, target, start);
    if (outcome === 'missing') sendError(req, res, 404, NOT_FOUND_BODY, head);
    else sendError(req, res, 410, outcome === 'expired' ? EXPIRED_BODY : USED_UP_BODY, head);
    done(req, outcome === 'missing' ? 404 : 410, start);
  }

  function fail(req: IncomingMessage, res: ServerResponse, code: string, err: unknown, start: bigint): void {
    const known = err instanceof HttpError;
    if (!known) log.error({ err, code }, 'redirect lookup failed');
    if (res.headersSent) res.destroy();
    else sendError(req, res, known ? err.status : 503, JSON.stringify({ detail: known ? err.detail : 'Service unavailable' }), req.method === 'HEAD');
    done(req, 503, start);
  }

  async function lookUp(req: IncomingMessage, res: ServerResponse, code: string, start: bigint): Promise<void> {
    try {
      await answer(req, res, code, await resolver.resolve(code), start);
    } catch (err) {
      fail(req, res, code, err, start);
    }
  }

  return function handleRedirect(req, res) {
    const code = redirectCode(req);
    if (code === undefined) return false;
    const start = process.hrtime.bigint();
    // An LRU hit on a link without a visit limit answers in this tick: no promise, no I/O.
    const cached = resolver.peek(code);
    if (cached === undefined) void lookUp(req, res, code, start);
    else {
      try {
        answer(req, res, code, cached, start)?.catch((err: unknown) => fail(req, res, code, err, start));
      } catch (err) {
        fail(req, res, code, err, start);
      }
    }
    return true;
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
