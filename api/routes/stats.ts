/** GET /api/stats/{code}: the link body, with clicks still buffered added to the flushed counter. */
import type { Router } from '@koa/router';
import { findLinkByCode } from '../../db/links';
import type { Link } from '../../db/schema';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { notFound, unavailable } from '../errors';
import { toLinkBody } from './links';
import { isPossibleCode } from './links.schema';

/** The stats router. */
export function statsRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  router.get('/api/stats/:code', async (ctx) => {
    ctx.state.route = '/api/stats/{code}';
    const code = ctx.params.code;
    if (!isPossibleCode(code)) throw notFound();
    let row: Link | null;
    try {
      // Always PostgreSQL: the cached copy's counter is stale by design.
      row = await findLinkByCode(deps.db, code);
    } catch (err) {
      ctx.state.log.error({ err }, 'stats lookup failed');
      throw unavailable('Database unavailable');
    }
    if (!row) throw notFound();
    let clicks: number | null;
    try {
      // The ledger's consistent read, never row.clicks plus pending: that can count a flush twice.
      clicks = await deps.clicks.totalClicks(code);
    } catch (err) {
      ctx.state.log.error({ err }, 'click count failed');
      throw unavailable('Click counts unavailable');
    }
    if (clicks === null) throw notFound();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = toLinkBody(row, deps.config.BASE_URL, clicks);
  });
  return router;
}
