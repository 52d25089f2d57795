/**
 * /admin/queues: Bull Board behind authentication, either basic auth (ADMIN_USER / ADMIN_PASSWORD) or
 * `Authorization: Bearer <ADMIN_TOKEN>`. With neither secret configured the board stays closed.
 */
import type { Context, Middleware } from 'koa';
import { BOARD_BASE_PATH, createBoardMiddleware } from '../../queues/keygen/board';
import type { AppDeps, AppState } from '../deps';
import { forbidden, unauthorized } from '../errors';
import { secretEquals } from './metrics';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CHALLENGE = 'Basic realm="linkhop admin", charset="UTF-8"';

/** True when the request carries the configured admin password or token. */
export function isAdmin(ctx: Pick<Context, 'get'>, config: AppDeps['config']): boolean {
  const header = ctx.get('authorization');
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (space > 0 && scheme === 'bearer' && config.ADMIN_TOKEN) return secretEquals(value, config.ADMIN_TOKEN);
  if (space > 0 && scheme === 'basic' && config.adminPassword) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Compare both parts even when the first differs, so timing does not reveal which one was wrong.
    const userOk = secretEquals(decoded.slice(0, colon), config.ADMIN_USER);
    const passOk = secretEquals(decoded.slice(colon + 1), config.adminPassword);
    return userOk && passOk;
  }
  return false;
}

/** Mounts Bull Board for the keygen queue at /admin/queues, for admins only. */
export function adminBoard(deps: AppDeps): Middleware<AppState> {
  const board = createBoardMiddleware([deps.keygenQueue]) as unknown as Middleware<AppState>;
  return async (ctx, next) => {
    if (ctx.path !== BOARD_BASE_PATH && !ctx.path.startsWith(`${BOARD_BASE_PATH}/`)) return next();
    ctx.state.route = BOARD_BASE_PATH;
    if (!isAdmin(ctx, deps.config)) throw unauthorized('Admin credentials required', CHALLENGE);
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
