/**
 * /admin/queues: Bull Board for admins: basic auth (ADMIN_USER / ADMIN_PASSWORD), `Authorization: Bearer
 * <ADMIN_TOKEN>` or an admin API key, all resolved by the auth middleware. Never open, even in open mode.
 */
import type { Middleware } from 'koa';
import { BOARD_BASE_PATH, createBoardMiddleware } from '../../queues/keygen/board';
import type { AppDeps, AppState } from '../deps';
import { forbidden, unauthorized } from '../errors';
import { documentRoute, errorResponses } from '../openapi';

documentRoute('get', '/admin/queues', {
  summary: 'Bull Board for the keygen queue (HTML UI and its API below this path)',
  security: [{ basic: [] }, { bearer: [] }, { apiKey: [] }],
  responses: { '200': { description: 'HTML' }, ...errorResponses([401, 'Admin credentials required'], [403, 'Cross-origin admin request refused']) },
});

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CHALLENGE = 'Basic realm="linkhop admin", charset="UTF-8"';

/** Mounts Bull Board for the keygen queue at /admin/queues, for admins only. */
export function adminBoard(deps: AppDeps): Middleware<AppState> {
  const board = createBoardMiddleware([deps.keygenQueue]) as unknown as Middleware<AppState>;
  return async (ctx, next) => {
    if (ctx.path !== BOARD_BASE_PATH && !ctx.path.startsWith(`${BOARD_BASE_PATH}/`)) return next();
    ctx.state.route = BOARD_BASE_PATH;
    // Credentials are read by the auth middleware; an anonymous open-mode request is not an admin here.
    const principal = ctx.state.principal;
    if (!principal || principal.anonymous || principal.role !== 'admin') throw unauthorized('Admin credentials required', CHALLENGE);
    // Browsers resend basic credentials on their own, so a cross-site form could empty or retry queues:
    // state-changing requests must come from this origin (or from a non-browser client, which sends none).
    const origin = ctx.get('origin');
    // (Koa 3's ctx.origin echoes the Origin header, so the board's own origin is built from protocol and host.)
    const own = `${ctx.protocol}://${ctx.host}`;
    if (!SAFE_METHODS.has(ctx.method) && origin && origin !== own) throw forbidden('Cross-origin admin request refused');
    ctx.set('Cache-Control', 'no-store');
    await board(ctx, next);
  };
}
