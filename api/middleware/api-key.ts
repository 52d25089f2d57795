/**
 * Optional API keys for link creation: when API_KEYS is set, a request must present one of them as
 * `X-API-Key: <key>` or `Authorization: Bearer <key>`, else 401. With no keys configured creation is open.
 */
import type { Context, Middleware } from 'koa';
import type { Config } from '../../infra/config';
import type { AppState } from '../deps';
import { unauthorized } from '../errors';
import { secretEquals } from '../routes/metrics';

/** The key a request presents, if any (X-API-Key wins over a bearer token). */
export function presentedApiKey(ctx: Context): string | undefined {
  const header = ctx.get('x-api-key');
  if (header) return header;
  const auth = ctx.get('authorization');
  return /^bearer /i.test(auth) ? auth.slice(7).trim() || undefined : undefined;
}

/** Requires a configured API key when API_KEYS is non-empty; a no-op otherwise. */
export function requireApiKey(config: Config): Middleware<AppState> {
  const keys = config.API_KEYS;
  return async (ctx, next) => {
    if (keys.length > 0) {
      const presented = presentedApiKey(ctx);
      // Compare with every key so timing does not reveal which one (or whether any) nearly matched.
      let ok = false;
      for (const key of keys) ok = (presented !== undefined && secretEquals(presented, key)) || ok;
      if (!ok) throw unauthorized('A valid API key is required (X-API-Key or Authorization: Bearer)');
    }
    await next();
  };
}
