/**
 * Security headers on every response, from helmet (one configuration). Helmet's answer does not depend on the
 * request, so it is computed once at start-up: Koa's middleware copies it onto each response (running
 * helmet's dozen sub-middlewares per request cost more than the copy), and the redirect and create fast
 * paths, which write their responses themselves, pass it to writeHead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { Middleware } from 'koa';
import type { AppState } from '../deps';

/**
 * Same-origin everything, inline styles allowed (Bull Board's React UI sets style attributes), no framing
 * anywhere (a browser test loads Bull Board under it). No `upgrade-insecure-requests`: a plain-HTTP install would lose its own assets. No
 * Referrer-Policy: a redirect must leave the visitor's referrer for the target, as link owners expect.
 */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = Object.freeze<HelmetOptions>({
  contentSecurityPolicy: {
    useDefaults: false as const,
    directives: {
      defaultSrc: ["'self'"],
      // 'self', not 'none': Bull Board's page sets <base href> to its own path.
      baseUri: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
    },
  },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: false,
});

/** Koa middleware setting the headers on every response it passes, as helmet would (before the rest runs). */
export function securityHeaders(): Middleware<AppState> {
  const headers = Object.entries(API_SECURITY_HEADERS);
  return (ctx, next) => {
    const { res } = ctx;
    for (const [name, value] of headers) res.setHeader(name, value);
    return next();
  };
}

/** The headers helmet sets, captured once by running it against a recording response. */
function capture(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => {
      headers[name] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    done = true;
  });
  // helmet's middleware is synchronous; if that ever changes this fails at start-up, not silently.
  if (!done) throw new Error('helmet did not finish synchronously');
  return Object.freeze(headers);
}

/** The headers of every Koa answer, and of the create fast path's (which must answer like Koa). */
export const API_SECURITY_HEADERS = capture(HELMET_OPTIONS);

/**
 * For the redirect fast path, which writes its responses itself: the same headers, except that a redirect
 * may be embedded by other sites (a short link as an image or badge), which Cross-Origin-Resource-Policy
 * would block.
 */
export const SECURITY_HEADERS = capture({ ...HELMET_OPTIONS, crossOriginResourcePolicy: false });
