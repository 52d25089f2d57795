/** createApp(deps) builds the Koa app and never listens: server.ts listens, tests use app.callback(). */
import Koa from 'koa';
import type { AppDeps, AppState } from './deps';
import { errorMiddleware } from './middleware/errors';
import { requestContext } from './middleware/request-context';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';

export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: deps.config.TRUST_PROXY });
  app.silent = true;
  app.use(requestContext(deps.log));
  app.use(errorMiddleware());
  for (const router of [healthRoutes(deps), metricsRoutes(deps)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
