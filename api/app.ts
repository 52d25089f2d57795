/**
 * createRequestHandler(deps) is the HTTP server's one request handler, used by server.ts and the tests alike:
 * the redirect handler answers GET/HEAD /{code} itself and every other request goes to the Koa app that
 * createApp builds (which never listens).
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
import { linkRoutes } from './routes/links';
import { metricsRoutes } from './routes/metrics';
import { linkExportRoutes } from './routes/links-export';
import { linkManageRoutes } from './routes/links-manage';
import { createRedirectHandler, redirectRoutes } from './routes/redirect';
import { unlockPasswordLinks } from './routes/redirect-routes';
import { statsRoutes } from './routes/stats';
import { webRoutes } from './routes/web';
import { methodGuard } from './routing';

export function createApp(deps: AppDeps): Koa<AppState> {
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
    healthRoutes(deps), metricsRoutes(deps), linkRoutes(deps), linkExportRoutes(deps), linkManageRoutes(deps),
    statsRoutes(deps), analyticsRoutes(deps), docsRoutes(deps), webRoutes(), redirectRoutes(),
  ];
  app.use(methodGuard(routers));
  app.use(unlockPasswordLinks(deps));
  for (const router of routers) app.use(router.routes());
  return app;
}

/** The server's request handler: redirects answered before Koa, everything else by the app. */
export function createRequestHandler(deps: AppDeps): RequestListener {
  const redirect = createRedirectHandler(deps);
  const koa = createApp(deps).callback();
  return (req, res) => {
    // A redirect must not pay for Koa's context, request ids, loggers or routing (api/routes/redirect.ts).
    if (!redirect(req, res)) void koa(req, res);
  };
}
