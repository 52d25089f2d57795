/**
 * The browser app's files, built by Vite into web/dist (never committed): `/` and `/app` (with its client-side
 * routes below /app) are HTML that must always be revalidated, /assets/* are content-hashed and so cacheable
 * for a year. Every page carries a policy that allows nothing from other origins and no inline script.
 */
import { send } from '@koa/send';
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { WEB_DIST } from '../../infra/web';
import type { AppState } from '../deps';
import { createRouter } from '../routing';
import { unavailable } from '../errors';

/** The policy of the app's pages: this origin only; blob: images are QR codes fetched with the API key. */
export const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
  "font-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const YEAR_SECONDS = 365 * 24 * 3600;

/** Sends a built file (relative to web/dist), or a 503 that says how to build when web/dist is missing. */
export async function sendBuilt(ctx: Context, file: string, opts: { maxage?: number; immutable?: boolean } = {}): Promise<void> {
  try {
    await send(ctx, file, { root: WEB_DIST, index: false, ...opts });
  } catch (err) {
    if ((err as { status?: number }).status === 404 && !file.startsWith('assets/')) {
      throw unavailable('The web app is not built: run `npm run build:web`');
    }
    throw err;
  }
}

async function page(ctx: Context, file: string): Promise<void> {
  await sendBuilt(ctx, file);
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('Content-Security-Policy', APP_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'same-origin');
}

/** The web app router: the pages, their hashed assets and the icon. */
export function webRoutes(): Router<AppState> {
  const router = createRouter();
  router.get('/', async (ctx) => {
    ctx.state.route = '/';
    await page(ctx, 'index.html');
  });
  router.get('/app{/*rest}', async (ctx) => {
    ctx.state.route = '/app';
    await page(ctx, 'app.html');
  });
  router.get('/assets/:file', async (ctx) => {
    ctx.state.route = '/assets/:file';
    await sendBuilt(ctx, `assets/${ctx.params.file}`, { maxage: YEAR_SECONDS * 1000, immutable: true });
    ctx.set('X-Content-Type-Options', 'nosniff');
  });
  router.get('/favicon.svg', async (ctx) => {
    ctx.state.route = '/favicon.svg';
    await sendBuilt(ctx, 'favicon.svg', { maxage: 24 * 3600 * 1000 });
  });
  return router;
}
