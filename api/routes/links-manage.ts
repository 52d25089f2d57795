/**
 * GET /api/links (cursor pages), GET/PATCH/DELETE /api/links/{code}. Non-admin keys see and change only the
 * links they created; another key's link answers 404 exactly like a missing one. Edits and deletes update
 * Redis and publish an eviction, so every replica's LRU drops the old version within milliseconds.
 */
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { listLinks } from '../../db/link-list';
import { deleteLink, findScopedLink, updateLink, type LinkChanges } from '../../db/links';
import type { Link } from '../../db/schema';
import { createCursorCodec } from '../cursor';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { notFound, unavailable, unprocessable } from '../errors';
import { READ_ROLES, WRITE_ROLES, assertRole, scopeOf } from '../middleware/auth';
import { readJsonBody } from '../middleware/json-body';
import { KEY_SECURITY, documentRoute, errorResponses, jsonContent } from '../openapi';
import { hashPassword } from '../passwords';
import { db, isSelfLink, toFullLinkBody } from './link-body';
import {
  CodeParamSchema, LinkListSchema, LinkSchema, ListQuerySchema, PatchBodySchema, fieldErrors, isPossibleCode,
  type ListQuery,
} from './links.schema';

const path = { path: CodeParamSchema };
documentRoute('get', '/api/links', {
  summary: 'List links, newest first (or most clicked), one page at a time',
  description: 'Pass next_cursor back as cursor for the next page; a changed cursor is a 400. clicks are the flushed counts.',
  security: KEY_SECURITY,
  requestParams: { query: ListQuerySchema },
  responses: { '200': { description: 'A page', content: jsonContent(LinkListSchema) }, ...errorResponses(400, 401, 403, 422, 503) },
});
documentRoute('get', '/api/links/{code}', {
  summary: 'One link, with its exact click count',
  security: KEY_SECURITY,
  requestParams: path,
  responses: { '200': { description: 'The link', content: jsonContent(LinkSchema) }, ...errorResponses(401, 403, 404, 503) },
});
documentRoute('patch', '/api/links/{code}', {
  summary: 'Change a link (null clears a field)',
  security: KEY_SECURITY,
  requestParams: path,
  requestBody: { required: true, content: jsonContent(PatchBodySchema, { url: 'https://example.com/new', expires_at: null }) },
  responses: { '200': { description: 'The changed link', content: jsonContent(LinkSchema) }, ...errorResponses(400, 401, 403, 404, 413, 415, 422, 503) },
});
documentRoute('delete', '/api/links/{code}', {
  summary: 'Delete a link; its code answers 404 everywhere and is never handed out again',
  security: KEY_SECURITY,
  requestParams: path,
  responses: { '204': { description: 'Deleted' }, ...errorResponses(401, 403, 404, 503) },
});

/** The parsed list query (422 naming any unknown parameter). */
export function parseListQuery(ctx: Context): ListQuery {
  const parsed = ListQuerySchema.safeParse(ctx.query);
  if (!parsed.success) throw unprocessable(fieldErrors(parsed.error, 'query'));
  return parsed.data;
}

/** urls.clicks plus the clicks not yet flushed, read consistently by the click ledger. */
export async function exactClicks(deps: AppDeps, row: Link): Promise<number> {
  try {
    // The ledger's consistent read, never row.clicks plus pending: that can count a flush twice.
    return (await deps.clicks.totalClicks(row.shortCode)) ?? row.clicks;
  } catch (err) {
    deps.log.error({ err }, 'click count failed');
    throw unavailable('Click counts unavailable');
  }
}

/** The link management router. */
export function linkManageRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  const cursors = createCursorCodec(deps.config.SHORT_CODE_KEY);
  const base = deps.config.BASE_URL;

  router.get('/api/links', async (ctx) => {
    ctx.state.route = '/api/links';
    const principal = assertRole(ctx.state, READ_ROLES);
    const q = parseListQuery(ctx);
    const after = q.cursor ? cursors.decode(q.cursor, q.sort) : undefined;
    const filter = { scope: scopeOf(principal), sort: q.sort, tag: q.tag, q: q.q, after };
    // One row more than asked tells whether another page exists without a count.
    const rows = await db(deps, 'list links', () => listLinks(deps.pool, filter, q.limit + 1));
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      items: page.map((r) => toFullLinkBody(r, base)),
      next_cursor: rows.length > q.limit && last ? cursors.encode(q.sort, { id: last.id, clicks: last.clicks }) : null,
    };
  });

  const scoped = async (ctx: Context & { state: AppState }, roles: typeof READ_ROLES): Promise<{ code: string; scope: ReturnType<typeof scopeOf> }> => {
    const principal = assertRole(ctx.state, roles);
    const code = String(ctx.params.code);
    if (!isPossibleCode(code)) throw notFound();
    return { code, scope: scopeOf(principal) };
  };

  router.get('/api/links/:code', async (ctx) => {
    ctx.state.route = '/api/links/{code}';
    const { code, scope } = await scoped(ctx, READ_ROLES);
    const row = await db(deps, 'find link', () => findScopedLink(deps.db, code, scope));
    if (!row) throw notFound();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = toFullLinkBody(row, base, await exactClicks(deps, row));
  });

  router.patch('/api/links/:code', async (ctx) => {
    ctx.state.route = '/api/links/{code}';
    const { code, scope } = await scoped(ctx, WRITE_ROLES);
    const parsed = PatchBodySchema.safeParse(await readJsonBody(ctx));
    if (!parsed.success) throw unprocessable(fieldErrors(parsed.error));
    const b = parsed.data;
    if (b.url !== undefined && isSelfLink(b.url, base, ctx.host)) {
      throw unprocessable([{ type: 'value_error', loc: ['body', 'url'], msg: 'URL must not point at this service itself' }]);
    }
    const changes: LinkChanges = {
      originalUrl: b.url,
      expiresAt: b.expires_at === undefined ? undefined : b.expires_at === null ? null : new Date(b.expires_at),
      maxVisits: b.max_visits,
      passwordHash: b.password === undefined ? undefined : b.password === null ? null : await hashPassword(b.password),
      tags: b.tags === undefined ? undefined : b.tags === null ? [] : [...new Set(b.tags)],
      title: b.title,
      forwardQuery: b.forward_query === undefined ? undefined : (b.forward_query ?? true),
    };
    const row = await db(deps, 'update link', () => updateLink(deps.db, code, scope, changes));
    if (!row) throw notFound();
    await deps.resolver.remember(row);
    ctx.state.log.info({ code }, 'link updated');
    ctx.body = toFullLinkBody(row, base, await exactClicks(deps, row));
  });

  router.delete('/api/links/:code', async (ctx) => {
    ctx.state.route = '/api/links/{code}';
    const { code, scope } = await scoped(ctx, WRITE_ROLES);
    const deleted = await db(deps, 'delete link', () => deleteLink(deps.db, code, scope));
    if (!deleted) throw notFound();
    await deps.resolver.drop(code);
    ctx.state.log.info({ code }, 'link deleted');
    ctx.status = 204;
  });
  return router;
}
