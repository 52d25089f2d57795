/**
 * POST /api/shorten (one link) and POST /api/links/bulk (up to 1,000 in one INSERT). Both validate strictly,
 * refuse links to this service itself, hash passwords, record the creating key as the owner, and make the new
 * codes visible on every replica (a custom code probed before it existed may be cached as missing). Creates
 * of one event-loop turn share one INSERT and one cache write (api/link-writer.ts).
 */
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { insertLinks, type LinkFields, type NewLink } from '../../db/links';
import { KeygenUnavailableError } from '../../queues/keygen/errors';
import type { Link } from '../../db/schema';
import type { Principal } from '../auth';
import type { AppDeps, AppState } from '../deps';
import { createLinkWriter, type LinkWriter } from '../link-writer';
import { createRouter } from '../routing';
import { conflict, unavailable, unprocessable } from '../errors';
import { WRITE_ROLES, assertRole } from '../middleware/auth';
import { readJsonBody } from '../middleware/json-body';
import { rateLimitCreates } from '../middleware/rate-limit';
import { KEY_SECURITY, OPTIONAL_KEY_SECURITY, documentRoute, errorResponses, jsonContent } from '../openapi';
import { hashPassword } from '../passwords';
import { db, isSelfLink, toFullLinkBody, toLinkBody } from './link-body';
import {
  BulkBodySchema, LinkSchema, MAX_BULK_ITEMS, SeedLinkSchema, SeedShortenBodySchema, ShortenBodySchema, isSeedOnlyBody,
  fieldErrors, isReservedCode, type FieldError, type ShortenBody,
} from './links.schema';

/** Generated codes tried per request before giving up (a collision needs a custom code taking it first). */
const MAX_GENERATED_ATTEMPTS = 5;
/** A bulk body holds up to 1,000 links of up to ~2.3 KB each. */
const BULK_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const SELF_LINK: FieldError = { type: 'value_error', loc: ['body', 'url'], msg: 'URL must not point at this service itself' };

const BulkResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        status: z.union([z.literal(201), z.literal(409), z.literal(422)]),
        link: LinkSchema.optional(),
        detail: z.unknown().optional(),
      }),
    ),
  })
  .meta({ id: 'BulkResult' });

documentRoute('post', '/api/shorten', {
  summary: 'Create a short link',
  description:
    'A body with only url and custom_code gets the seed-compatible link body; any other field gets the full one. ' +
    'Needs an editor or admin key when keys are defined; limited per client per minute. Body at most 16 KB.',
  security: OPTIONAL_KEY_SECURITY,
  requestBody: { required: true, content: jsonContent(ShortenBodySchema, { url: 'https://example.com/page', tags: ['docs'], max_visits: 100 }) },
  responses: {
    '201': { description: 'Created', content: { 'application/json': { schema: z.union([SeedLinkSchema, LinkSchema]) } } },
    ...errorResponses(400, 401, 403, [409, "Custom code '<code>' is already taken"], 413, 415, 422, 429, 503),
  },
});
documentRoute('post', '/api/links/bulk', {
  summary: `Create up to ${MAX_BULK_ITEMS} links in one database round trip`,
  description: 'One result per item, in order: 201 with the link, 409 for a taken custom code, 422 with field errors.',
  security: KEY_SECURITY,
  requestBody: { required: true, content: jsonContent(BulkBodySchema, { links: [{ url: 'https://example.com/a' }, { url: 'https://example.com/b', custom_code: 'promo2030' }] }) },
  responses: {
    '200': { description: 'Per-item results', content: jsonContent(BulkResultSchema) },
    ...errorResponses(400, 401, 403, 413, 415, [422, 'The body itself is invalid (e.g. more than 1,000 links); nothing is created'], 429, 503),
  },
});

/** The columns of a validated create body (the password hashed). */
async function fieldsOf(body: ShortenBody, owner: Principal): Promise<LinkFields> {
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
async function nextCode(deps: AppDeps): Promise<string> {
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

type BulkResult = { index: number; status: 201; link: unknown } | { index: number; status: 409 | 422; detail: unknown };

/** Validates every bulk item, then inserts all valid ones in one statement. */
async function createBulk(deps: AppDeps, items: unknown[], owner: Principal, host: string): Promise<BulkResult[]> {
  const results: BulkResult[] = new Array(items.length);
  const pending: Array<{ index: number; link: NewLink; custom: boolean }> = [];
  const customSeen = new Set<string>();
  await Promise.all(
    items.map(async (item, index) => {
      const parsed = ShortenBodySchema.safeParse(item);
      if (!parsed.success) {
        const detail = fieldErrors(parsed.error).map((e) => ({ ...e, loc: ['body', 'links', index, ...e.loc.slice(1)] }));
        results[index] = { index, status: 422, detail };
        return;
      }
      if (isSelfLink(parsed.data.url, deps.config.BASE_URL, host)) {
        results[index] = { index, status: 422, detail: [{ ...SELF_LINK, loc: ['body', 'links', index, 'url'] }] };
        return;
      }
      const fields = await fieldsOf(parsed.data, owner);
      pending[index] = { index, link: { shortCode: parsed.data.custom_code ?? '', originalUrl: parsed.data.url, ...fields }, custom: !!parsed.data.custom_code };
    }),
  );
  const batch = pending.filter(Boolean);
  for (const p of batch) {
    if (!p.custom) continue;
    const code = p.link.shortCode;
    // Codes are unique case-sensitively, like the table's constraint.
    if (customSeen.has(code)) results[p.index] = { index: p.index, status: 409, detail: `Custom code '${code}' is already taken` };
    customSeen.add(code);
  }
  let toInsert = batch.filter((p) => results[p.index] === undefined);
  for (let round = 0; toInsert.length > 0 && round < MAX_GENERATED_ATTEMPTS; round++) {
    for (const p of toInsert) if (!p.custom) p.link.shortCode = await nextCode(deps);
    const rows = await db(deps, 'bulk insert', () => insertLinks(deps.db, toInsert.map((p) => p.link)));
    const byCode = new Map(rows.map((r) => [r.shortCode, r]));
    const custom = new Set(toInsert.filter((p) => p.custom).map((p) => p.link.shortCode));
    await deps.resolver.rememberNew(rows.filter((r) => !custom.has(r.shortCode)), rows.filter((r) => custom.has(r.shortCode)));
    const retry: typeof toInsert = [];
    for (const p of toInsert) {
      const row = byCode.get(p.link.shortCode);
      if (row) results[p.index] = { index: p.index, status: 201, link: toFullLinkBody(row, deps.config.BASE_URL, 0) };
      else if (p.custom) results[p.index] = { index: p.index, status: 409, detail: `Custom code '${p.link.shortCode}' is already taken` };
      // A generated code already taken (by a custom code or a deleted link) is rare: those items go again.
      else retry.push(p);
    }
    toInsert = retry;
  }
  if (toInsert.length > 0) throw unavailable('Could not allocate short codes');
  return results;
}

/** Names the route for metrics and refuses non-writers before the create limit counts the request. */
function writersOnly(route: string): Middleware<AppState> {
  return async (ctx, next) => {
    ctx.state.route = route;
    assertRole(ctx.state, WRITE_ROLES);
    await next();
  };
}

/** The link creation router. */
export function linkRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  const limit = rateLimitCreates({ config: deps.config, redis: deps.redisCache, log: deps.log });
  // One per router, so every create of this app shares its batches.
  const writer = createLinkWriter(deps);
  router.post(
    '/api/shorten',
    writersOnly('/api/shorten'),
    limit,
    async (ctx) => {
      const owner = assertRole(ctx.state, WRITE_ROLES);
      const raw = await readJsonBody(ctx);
      const seedOnly = isSeedOnlyBody(raw);
      const parsed: { success: true; data: ShortenBody } | { success: false; error: z.ZodError } = (
        seedOnly ? SeedShortenBodySchema : ShortenBodySchema
      ).safeParse(raw);
      if (!parsed.success) throw unprocessable(fieldErrors(parsed.error));
      const body = parsed.data;
      if (isSelfLink(body.url, deps.config.BASE_URL, ctx.host)) throw unprocessable([SELF_LINK]);
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
      // Debug: one info line per created link would drown the log of a busy instance.
      ctx.state.log.debug({ code: row.shortCode }, 'link created');
      ctx.status = 201;
      // A client that sends only the seed's fields gets the seed's body, key for key.
      ctx.body = seedOnly ? toLinkBody(row, deps.config.BASE_URL, 0) : toFullLinkBody(row, deps.config.BASE_URL, 0);
    },
  );

  router.post(
    '/api/links/bulk',
    writersOnly('/api/links/bulk'),
    limit,
    async (ctx) => {
      const owner = assertRole(ctx.state, WRITE_ROLES);
      const parsed = BulkBodySchema.safeParse(await readJsonBody(ctx, BULK_BODY_LIMIT_BYTES));
      if (!parsed.success) throw unprocessable(fieldErrors(parsed.error));
      const results = await createBulk(deps, parsed.data.links, owner, ctx.host);
      ctx.state.log.info({ created: results.filter((r) => r.status === 201).length }, 'bulk create');
      ctx.body = { results };
    },
  );
  return router;
}
