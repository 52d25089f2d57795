/** POST /api/shorten: validates, stores the link, caches it and evicts stale negative entries everywhere. */
import type { Router } from '@koa/router';
import { insertLink } from '../../db/links';
import type { Link } from '../../db/schema';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { conflict, unavailable, unprocessable } from '../errors';
import { requireApiKey } from '../middleware/api-key';
import { readJsonBody } from '../middleware/json-body';
import { rateLimitCreates } from '../middleware/rate-limit';
import { ShortenBodySchema, fieldErrors, isReservedCode } from './links.schema';

/** Generated codes tried per request before giving up (a collision needs a custom code taking it first). */
const MAX_GENERATED_ATTEMPTS = 5;

/** The link body of the seed's API (201 and 200 answers). */
export interface LinkBody {
  id: number;
  short_code: string;
  original_url: string;
  short_url: string;
  clicks: number;
  created_at: string;
  updated_at: string;
}

/** Serialises a link row; `clicks` is passed in because stats add the clicks not yet flushed. */
export function toLinkBody(row: Link, baseUrl: string, clicks: number): LinkBody {
  return {
    id: row.id,
    short_code: row.shortCode,
    original_url: row.originalUrl,
    short_url: `${baseUrl}/${row.shortCode}`,
    clicks,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** Runs a PostgreSQL call, turning any failure into a 503 (a database error is never a 4xx). */
async function db<T>(deps: AppDeps, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    deps.log.error({ err }, `${what} failed`);
    throw unavailable('Database unavailable');
  }
}

async function createWithGeneratedCode(deps: AppDeps, url: string): Promise<Link> {
  for (let attempt = 0; attempt < MAX_GENERATED_ATTEMPTS; attempt++) {
    let code: string;
    try {
      code = await deps.keygen.nextCode();
    } catch (err) {
      deps.log.error({ err }, 'code generator failed');
      throw unavailable('Code generator unavailable');
    }
    // A route name can never redirect, and a taken code means a custom code got there first: take the next.
    if (isReservedCode(code)) continue;
    const row = await db(deps, 'insert link', () => insertLink(deps.db, code, url));
    if (row) return row;
    deps.log.warn({ code }, 'generated code already taken; trying the next one');
  }
  throw unavailable('Could not allocate a short code');
}

/** The link creation router. */
export function linkRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  router.post(
    '/api/shorten',
    async (ctx, next) => {
      ctx.state.route = '/api/shorten';
      await next();
    },
    requireApiKey(deps.config),
    rateLimitCreates({ config: deps.config, redis: deps.redisCache, log: deps.log }),
    async (ctx) => {
      const parsed = ShortenBodySchema.safeParse(await readJsonBody(ctx));
      if (!parsed.success) throw unprocessable(fieldErrors(parsed.error));
      const { url, custom_code: customCode } = parsed.data;

      let row: Link;
      if (customCode) {
        const inserted = await db(deps, 'insert link', () => insertLink(deps.db, customCode, url));
        if (!inserted) throw conflict(`Custom code '${customCode}' is already taken`);
        row = inserted;
      } else {
        row = await createWithGeneratedCode(deps, url);
      }
      await deps.resolver.remember(row);
      // Debug: one info line per created link would drown the log of a busy instance.
      ctx.state.log.debug({ code: row.shortCode }, 'link created');
      ctx.status = 201;
      ctx.body = toLinkBody(row, deps.config.BASE_URL, 0);
    },
  );
  return router;
}
