/**
 * createRequestHandler(deps) is the HTTP server's one request handler, used by server.ts and the tests alike:
 * the redirect handler answers GET/HEAD /{code} itself, the create fast path the common POST /api/shorten,
 * and every other request goes to the Koa app that createApp builds (which never listens).
 */
import type { RequestListener } from 'node:http';
import Koa from 'koa';
import type { AppDeps, AppState } from './deps';
import { authenticate } from './middleware/auth';
import { errorMiddleware } from './middleware/errors';
import { requestContext } from './middleware/request-context';
import { securityHeaders } from './middleware/security-headers';
import { adminBoard } from './routes/admin';
import { analyticsRoutes } from './routes/analytics';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { createShortener, type Shortener } from './routes/link-create';
import { linkRoutes } from './routes/links';
import { metricsRoutes } from './routes/metrics';
import { linkExportRoutes } from './routes/links-export';
import { linkManageRoutes } from './routes/links-manage';
import { createRedirectHandler, redirectRoutes } from './routes/redirect';
import { unlockPasswordLinks } from './routes/redirect-routes';
import { createShortenHandler } from './routes/shorten-fast';
import { statsRoutes } from './routes/stats';
import { webRoutes } from './routes/web';
import { methodGuard } from './routing';

/** The Koa app; `shortener` is shared with the create fast path, so both use one writer and one limiter. */
export function createApp(deps: AppDeps, shortener: Shortener = createShortener(deps)): Koa<AppState> {
  const hops = deps.config.TRUST_PROXY_HOPS;
  // Behind N proxies the client is the Nth X-Forwarded-For entry from the right: the entries to its left
  // are whatever the client wrote, so trusting the leftmost would let any client pick its own address.
  const app = new Koa<AppState>({ proxy: hops > 0, maxIpsCount: hops });
  app.silent = true;
  app.use(securityHeaders());
  app.use(requestContext(deps.log));
  app.use(errorMiddleware());
  app.use(authenticate(deps.auth));
  app.use(adminBoard(deps));
  // The catch-all /{code} router goes last so that every named route wins over it.
  const routers = [
    healthRoutes(deps), metricsRoutes(deps), linkRoutes(deps, shortener), linkExportRoutes(deps), linkManageRoutes(deps),
    statsRoutes(deps), analyticsRoutes(deps), docsRoutes(deps), webRoutes(), redirectRoutes(),
  ];
  app.use(methodGuard(routers));
  app.use(unlockPasswordLinks(deps));
  for (const router of routers) app.use(router.routes());
  return app;
}

/** The server's request handler: redirects and common creates answered before Koa, everything else by the app. */
export function createRequestHandler(deps: AppDeps): RequestListener {
  const redirect = createRedirectHandler(deps);
  const shortener = createShortener(deps);
  const app = createApp(deps, shortener).callback();
  const koa: RequestListener = (req, res) => void app(req, res);
  const shorten = createShortenHandler(deps, shortener, koa);
  return (req, res) => {
    // Redirects and creates must not pay for Koa's context, middleware chain or routing
    // (api/routes/redirect.ts, api/routes/shorten-fast.ts); each hands on what it does not answer.
    if (!redirect(req, res) && !shorten(req, res)) koa(req, res);
  };
}
