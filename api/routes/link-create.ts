/**
 * Creating links: the columns of a validated body, generated codes, and the one create of POST /api/shorten
 * after authentication, the limit and the body read. The Koa route (links.ts) and the create fast path
 * (shorten-fast.ts) both call `createShortener(deps).create`, so they validate, refuse and answer alike and
 * share one link writer (one batch per event-loop turn for every create of the process).
 */
import { z } from 'zod';
import type { LinkFields } from '../../db/links';
import type { Link } from '../../db/schema';
import { KeygenUnavailableError } from '../../queues/keygen/errors';
import type { Logger } from '../../observability/logger';
import type { Principal } from '../auth';
import type { AppDeps } from '../deps';
import { conflict, unavailable, unprocessable } from '../errors';
import { createLinkWriter, type LinkWriter } from '../link-writer';
import { createLimiter, type CreateLimiter } from '../middleware/rate-limit';
import { hashPassword } from '../passwords';
import { isSelfLink, toFullLinkBody, toLinkBody, type FullLinkBody, type LinkBody } from './link-body';
import { SeedShortenBodySchema, ShortenBodySchema, fieldErrors, isReservedCode, isSeedOnlyBody, type FieldError, type ShortenBody } from './links.schema';

/** Generated codes tried per request before giving up (a collision needs a custom code taking it first). */
export const MAX_GENERATED_ATTEMPTS = 5;

export const SELF_LINK: FieldError = { type: 'value_error', loc: ['body', 'url'], msg: 'URL must not point at this service itself' };

/** The columns of a validated create body (the password hashed). */
export async function fieldsOf(body: ShortenBody, owner: Principal): Promise<LinkFields> {
  return {
    expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    maxVisits: body.max_visits ?? null,
    passwordHash: body.password ? await hashPassword(body.password) : null,
    tags: body.tags ? [...new Set(body.tags)] : [],
    title: body.title ?? null,
    forwardQuery: body.forward_query ?? true,
    ownerKeyId: owner.keyId,
  };
}

/** The next generated code that is not a reserved word; 503 when the generator cannot answer. */
export async function nextCode(deps: AppDeps): Promise<string> {
  for (;;) {
    let code: string;
    try {
      code = await deps.keygen.nextCode();
    } catch (err) {
      // The keygen's own error means no block could be had (list and PostgreSQL both out): a 503 to retry.
      if (!(err instanceof KeygenUnavailableError)) throw err;
      deps.log.error({ err }, 'code generator failed');
      throw unavailable('Code generator unavailable');
    }
    // A route name can never redirect: take the next one.
    if (!isReservedCode(code)) return code;
  }
}

async function createWithGeneratedCode(deps: AppDeps, writer: LinkWriter, url: string, fields: LinkFields): Promise<Link> {
  for (let attempt = 0; attempt < MAX_GENERATED_ATTEMPTS; attempt++) {
    const code = await nextCode(deps);
    const row = await writer.insert({ link: { shortCode: code, originalUrl: url, ...fields }, custom: false });
    if (row) return row;
    // A taken code means a custom code (or a deleted link) got there first: take the next.
    deps.log.warn({ code }, 'generated code already taken; trying the next one');
  }
  throw unavailable('Could not allocate a short code');
}

export interface Shortener {
  /** The per-client create limit, shared by POST /api/shorten (either path) and POST /api/links/bulk. */
  limiter: CreateLimiter;
  /**
   * One create from a parsed body: validates it, refuses self links, inserts with the next batch, and gives
   * the 201 body (the seed's for a seed-only body); throws the HttpError (409, 422, 503) of a refusal.
   */
  create(raw: unknown, owner: Principal, host: string, state: { readonly log: Logger }): Promise<LinkBody | FullLinkBody>;
}

/** The shortener of one API process (one per request handler, so all its creates share batches). */
export function createShortener(deps: AppDeps): Shortener {
  const writer = createLinkWriter(deps);
  const baseUrl = deps.config.BASE_URL;
  return {
    limiter: createLimiter({ config: deps.config, redis: deps.redisCache, log: deps.log }),
    async create(raw, owner, host, state) {
      const seedOnly = isSeedOnlyBody(raw);
      const parsed: { success: true; data: ShortenBody } | { success: false; error: z.ZodError } = (
        seedOnly ? SeedShortenBodySchema : ShortenBodySchema
      ).safeParse(raw);
      if (!parsed.success) throw unprocessable(fieldErrors(parsed.error));
      const body = parsed.data;
      if (isSelfLink(body.url, baseUrl, host)) throw unprocessable([SELF_LINK]);
      const fields = await fieldsOf(body, owner);

      let row: Link;
      if (body.custom_code) {
        const code = body.custom_code;
        const inserted = await writer.insert({ link: { shortCode: code, originalUrl: body.url, ...fields }, custom: true });
        if (!inserted) throw conflict(`Custom code '${code}' is already taken`);
        row = inserted;
      } else {
        row = await createWithGeneratedCode(deps, writer, body.url, fields);
      }
      // Debug: one info line per created link would drown the log of a busy instance. Checked first because
      // the request's child logger is made on first use, and making one costs more than the rest of a create.
      if (deps.log.isLevelEnabled('debug')) state.log.debug({ code: row.shortCode }, 'link created');
      // A client that sends only the seed's fields gets the seed's body, key for key.
      return seedOnly ? toLinkBody(row, baseUrl, 0) : toFullLinkBody(row, baseUrl, 0);
    },
  };
}
