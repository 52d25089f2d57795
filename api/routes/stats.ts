/**
 * GET /api/stats/{code}: the seed's link body, with clicks still buffered added to the flushed counter; it
 * first waits (at most 1 s) until the clicks this API process answered so far are counted by the ledger.
 * Public, as in the seed, until API keys exist in PostgreSQL; from then on it needs a key and non-admin keys
 * see only their own links (another key's link is a 404, like a missing one). A deleted link is a 404.
 */
import type { Router } from '@koa/router';
import { z } from 'zod';
import { findScopedLink } from '../../db/links';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { notFound } from '../errors';
import { READ_ROLES, assertRole, scopeOf } from '../middleware/auth';
import { OPTIONAL_KEY_SECURITY, documentRoute, errorResponses, jsonContent } from '../openapi';
import { db, toLinkBody } from './link-body';
import { exactClicks } from './links-manage';
import { CodeParamSchema, SeedLinkSchema, isPossibleCode } from './links.schema';

documentRoute('get', '/api/stats/{short_code}', {
  summary: 'A link and its click count (including clicks not yet flushed)',
  description: 'Public while no API key is defined in the database (API_KEYS alone keeps it public).',
  security: OPTIONAL_KEY_SECURITY,
  requestParams: { path: z.object({ short_code: CodeParamSchema.shape.code }) },
  responses: { '200': { description: 'The link', content: jsonContent(SeedLinkSchema) }, ...errorResponses([404, 'Short URL not found'], 401, 403, 503) },
});

/** The stats router. */
export function statsRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  router.get('/api/stats/:code', async (ctx) => {
    ctx.state.route = '/api/stats/{code}';
    const code = ctx.params.code;
    const scope = ctx.state.authMode === 'keys' ? scopeOf(assertRole(ctx.state, READ_ROLES)) : ({ kind: 'all' } as const);
    if (!isPossibleCode(code)) throw notFound();
    // Always PostgreSQL: the cached copy's counter is stale by design.
    const row = await db(deps, 'stats lookup', () => findScopedLink(deps.db, code, scope));
    if (!row) throw notFound();
    // Read-your-own-clicks: every redirect this process answered before this request is counted (1 s at most).
    await deps.clicks.settle(1000).catch((err: unknown) => deps.log.warn({ err }, 'clicks not settled before a stats read'));
    const clicks = await exactClicks(deps, row);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = toLinkBody(row, deps.config.BASE_URL, clicks);
  });
  return router;
}
