/**
 * GET /openapi.json and GET /docs. The reference is rendered in the browser by Swagger UI (try-it-out, request
 * and response examples), served from the installed swagger-ui-dist package: nothing from a CDN, so it works
 * offline. The page and its start-up script are built with the web app (web/docs.html); scripts, styles and
 * requests stay on this origin (data: images are the icons inside Swagger UI's stylesheet).
 */
import path from 'node:path';
import { send } from '@koa/send';
import type { Router } from '@koa/router';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { buildOpenApi, documentRoute } from '../openapi';
import { sendBuilt } from './web';

const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
/** The two files of Swagger UI the page loads; their names carry no hash, so they are revalidated hourly. */
const SWAGGER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css'];

documentRoute('get', '/openapi.json', { summary: 'This document (OpenAPI 3.0.3)', responses: { '200': { description: 'OpenAPI 3' } } });
documentRoute('get', '/docs', { summary: 'This document, rendered by Swagger UI', responses: { '200': { description: 'HTML' } } });

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The docs router. */
export function docsRoutes(deps: AppDeps): Router<AppState> {
  const specJson = JSON.stringify(buildOpenApi(deps.config.BASE_URL));
  const router = createRouter();
  router.get('/openapi.json', (ctx) => {
    ctx.state.route = '/openapi.json';
    ctx.type = 'application/json';
    ctx.body = specJson;
  });
  router.get('/docs', async (ctx) => {
    ctx.state.route = '/docs';
    await sendBuilt(ctx, 'docs.html');
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
  });
  router.get('/docs/:file', async (ctx, next) => {
    if (!SWAGGER_FILES.includes(ctx.params.file)) return next();
    ctx.state.route = '/docs/:file';
    await send(ctx, ctx.params.file, { root: SWAGGER_DIR, maxage: 3600 * 1000 });
    ctx.set('X-Content-Type-Options', 'nosniff');
  });
  return router;
}
