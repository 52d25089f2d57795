/**
 * POST /api/shorten (one link) and POST /api/links/bulk (up to 1,000 in one INSERT). Both validate strictly,
 * refuse links to this service itself, hash passwords, record the creating key as the owner, and make the new
 * codes visible on every replica (a custom code probed before it existed may be cached as missing). Creates
 * of one event-loop turn share one INSERT and one cache write (api/link-writer.ts); the single create itself
 * is link-create.ts's, which the create fast path (shorten-fast.ts) calls too.
 */
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { insertLinks, type NewLink } from '../../db/links';
import type { Principal } from '../auth';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { unavailable, unprocessable } from '../errors';
import { WRITE_ROLES, assertRole } from '../middleware/auth';
import { readJsonBody } from '../middleware/json-body';
import { rateLimitCreates } from '../middleware/rate-limit';
import { KEY_SECURITY, OPTIONAL_KEY_SECURITY, documentRoute, errorResponses, jsonContent } from '../openapi';
import { MAX_GENERATED_ATTEMPTS, SELF_LINK, createShortener, fieldsOf, nextCode, type Shortener } from './link-create';
import { db, isSelfLink, toFullLinkBody } from './link-body';
import { BulkBodySchema, LinkSchema, MAX_BULK_ITEMS, SeedLinkSchema, ShortenBodySchema, fieldErrors } from './links.schema';

/** A bulk body holds up to 1,000 links of up to ~2.3 KB each. */
const BULK_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

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

/** The link creation router; `shortener` is the one the create fast path shares (one writer, one limiter). */
export function linkRoutes(deps: AppDeps, shortener: Shortener = createShortener(deps)): Router<AppState> {
  const router = createRouter();
  const limit = rateLimitCreates(shortener.limiter);
  router.post(
    '/api/shorten',
    writersOnly('/api/shorten'),
    limit,
    async (ctx) => {
      const owner = assertRole(ctx.state, WRITE_ROLES);
      const body = await shortener.create(await readJsonBody(ctx), owner, ctx.host, ctx.state);
      ctx.status = 201;
      ctx.body = body;
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
