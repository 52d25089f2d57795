/**
 * POST /api/shorten without Koa: the create fast path. The server's request handler (api/app.ts) offers it
 * every request after the redirect handler; it takes only the common create (`POST /api/shorten` exactly, a
 * plain JSON body with its Content-Length within the limit, a simple Host, from a key that may write) and
 * answers it with the route's own pieces (resolveAuth, the shared limiter and shortener, errorAnswer, the
 * request id, the same metrics and logs) and the same headers Koa's answer carries. Everything else (another
 * path or method, a query string, another content type or encoding, a chunked or oversized body, missing or
 * refused credentials, a key lookup that failed) goes to Koa untouched, before a byte of its body is read,
 * so the route answers it exactly as before. Koa's context, middleware chain and ten routers' matching cost
 * more CPU than the rest of a create.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { requestRecorder } from '../../observability/metrics';
import type { AppDeps } from '../deps';
import { WRITE_ROLES, resolveAuth, type AuthState } from '../middleware/auth';
import { errorAnswer } from '../middleware/errors';
import { JSON_BODY_LIMIT_BYTES, parseJsonBody, plainJsonLength, readDeclaredBody } from '../middleware/json-body';
import { RequestState, requestIdFor } from '../middleware/request-context';
import { API_SECURITY_HEADERS } from '../middleware/security-headers';
import type { Shortener } from './link-create';
import { clientIp } from './redirect';

export const SHORTEN_ROUTE = '/api/shorten';
const JSON_TYPE = 'application/json; charset=utf-8';
const WRITERS: ReadonlySet<string> = new Set(WRITE_ROLES);

const record = requestRecorder('POST', SHORTEN_ROUTE);

/** A header as Koa's ctx.get reads it ('' when absent). */
const header = (req: IncomingMessage, name: string): string => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : '';
};

/**
 * Koa's ctx.host when it is a single plain value (the Host header, or X-Forwarded-Host behind trusted
 * proxies); undefined for a list or userinfo, which Koa's own parsing is left to handle.
 */
function plainHost(req: IncomingMessage, proxy: boolean): string | undefined {
  const host = (proxy && header(req, 'x-forwarded-host')) || header(req, 'host');
  return host.includes(',') || host.includes('@') ? undefined : host.trim();
}

/** Writes a JSON answer with Koa's headers, then counts it as the request-context middleware would. */
function send(res: ServerResponse, status: number, state: RequestState, headers: Record<string, string> | undefined, body: unknown, start: bigint): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...API_SECURITY_HEADERS,
    'X-Request-Id': state.requestId,
    ...headers,
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(json),
  });
  res.end(json);
  const seconds = record(status, start);
  if (status >= 500) state.log.warn({ status, path: SHORTEN_ROUTE, seconds }, 'request failed');
}

/**
 * The create fast path: returns true when it takes the request (and answers it, or hands it to `koa` before
 * reading its body), false when the caller must give it to Koa.
 */
export function createShortenHandler(deps: AppDeps, shortener: Shortener, koa: RequestListener): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { auth, log } = deps;
  const hops = deps.config.TRUST_PROXY_HOPS;

  async function serve(req: IncomingMessage, res: ServerResponse, host: string, start: bigint): Promise<void> {
    let authState: AuthState;
    try {
      authState = await resolveAuth(auth, (h) => header(req, h));
    } catch {
      // PostgreSQL could not check the key: Koa asks again and answers (and logs) the 503 as it always has.
      return koa(req, res);
    }
    const owner = authState.principal;
    // 401, 403 and 503 for writers are the route's answers, with its messages: left to it.
    if (!owner || !WRITERS.has(owner.role)) return koa(req, res);
    const state = new RequestState(requestIdFor(header(req, 'x-request-id')), log);
    let limitHeaders: Record<string, string> | undefined;
    try {
      const limited = await shortener.limiter(owner, () => clientIp(req, hops));
      limitHeaders = limited?.headers;
      if (limited?.refusal) throw limited.refusal;
      const raw = parseJsonBody(await readDeclaredBody(req, JSON_BODY_LIMIT_BYTES));
      send(res, 201, state, limitHeaders, await shortener.create(raw, owner, host, state), start);
    } catch (err) {
      const answer = errorAnswer(err, state);
      send(res, answer.status, state, { ...limitHeaders, ...answer.headers }, { detail: answer.detail }, start);
    }
  }

  return function handleShorten(req, res) {
    if (req.method !== 'POST' || req.url !== SHORTEN_ROUTE) return false;
    if (plainJsonLength(req, JSON_BODY_LIMIT_BYTES) === undefined) return false;
    const host = plainHost(req, hops > 0);
    if (host === undefined) return false;
    const start = process.hrtime.bigint();
    serve(req, res, host, start).catch((err: unknown) => {
      // Only writing the answer itself can fail here; the socket is what is left to close.
      log.error({ err }, 'create fast path failed');
      res.destroy();
    });
    return true;
  };
}
