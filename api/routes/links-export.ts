/**
 * GET /api/links.csv: the list's selection as RFC 4180 CSV, streamed from a PostgreSQL cursor in constant
 * memory (the response's backpressure pauses the cursor). GET /api/links/{code}/qr: the short URL as a QR code
 * (the `qrcode` library), SVG or PNG. CSV quoting is five lines, so it is written here rather than pulled in.
 */
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { Router } from '@koa/router';
import QRCode from 'qrcode';
import { z } from 'zod';
import { streamLinks } from '../../db/link-list';
import { findScopedLink } from '../../db/links';
import type { Link } from '../../db/schema';
import type { AppDeps, AppState } from '../deps';
import { createRouter } from '../routing';
import { notFound, unprocessable } from '../errors';
import { READ_ROLES, assertRole, scopeOf } from '../middleware/auth';
import { KEY_SECURITY, documentRoute, errorResponses } from '../openapi';
import { db } from './link-body';
import { parseListQuery } from './links-manage';
import { CodeParamSchema, ListQuerySchema, QrQuerySchema, fieldErrors, isPossibleCode } from './links.schema';

export const CSV_COLUMNS = [
  'short_code', 'short_url', 'original_url', 'title', 'tags', 'clicks', 'visits', 'max_visits',
  'expires_at', 'has_password', 'forward_query', 'created_at', 'updated_at',
] as const;

/** One CSV field: quoted when it holds a comma, quote, CR or LF, with quotes doubled (RFC 4180). */
export const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One CSV record with its CRLF. */
export function csvRow(link: Link, baseUrl: string): string {
  const values = [
    link.shortCode, `${baseUrl}/${link.shortCode}`, link.originalUrl, link.title ?? '', link.tags.join(' '),
    String(link.clicks), String(link.visits), link.maxVisits === null ? '' : String(link.maxVisits),
    link.expiresAt?.toISOString() ?? '', String(link.passwordHash !== null), String(link.forwardQuery),
    link.createdAt.toISOString(), link.updatedAt.toISOString(),
  ];
  return `${values.map(csvField).join(',')}\r\n`;
}

documentRoute('get', '/api/links.csv', {
  summary: 'Export the selection of GET /api/links (tag, q, sort) as CSV, all pages at once',
  security: KEY_SECURITY,
  requestParams: { query: ListQuerySchema.omit({ cursor: true, limit: true }) },
  responses: {
    '200': { description: `RFC 4180 CSV with a header row: ${CSV_COLUMNS.join(', ')}`, content: { 'text/csv': { schema: { type: 'string' } } } },
    ...errorResponses(401, 403, 422, 503),
  },
});
documentRoute('get', '/api/links/{code}/qr', {
  summary: 'The short URL as a QR code',
  security: KEY_SECURITY,
  requestParams: { path: CodeParamSchema, query: QrQuerySchema },
  responses: {
    '200': {
      description: 'SVG or PNG image',
      content: { 'image/svg+xml': { schema: z.string() }, 'image/png': { schema: z.string().meta({ format: 'binary' }) } },
    },
    ...errorResponses(401, 403, 404, 422, 503),
  },
});

export function linkExportRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  const base = deps.config.BASE_URL;

  router.get('/api/links.csv', async (ctx) => {
    ctx.state.route = '/api/links.csv';
    const principal = assertRole(ctx.state, READ_ROLES);
    const q = parseListQuery(ctx);
    if (q.cursor) throw unprocessable([{ type: 'extra_forbidden', loc: ['query', 'cursor'], msg: "Unknown field 'cursor'" }]);
    const filter = { scope: scopeOf(principal), sort: q.sort, tag: q.tag, q: q.q };
    const out = new PassThrough();
    ctx.status = 200;
    ctx.type = 'text/csv; charset=utf-8; header=present';
    ctx.set('Content-Disposition', 'attachment; filename="links.csv"');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = out;
    out.write(`${CSV_COLUMNS.join(',')}\r\n`);
    // Headers are sent by now, so a failure mid-stream can only cut the body short (and is logged).
    void streamLinks(deps.pool, filter, async (link) => {
      if (out.destroyed) throw new Error('client went away');
      if (!out.write(csvRow(link, base))) await once(out, 'drain');
    }).then(
      () => out.end(),
      (err: unknown) => {
        if (!out.destroyed) ctx.state.log.error({ err }, 'CSV export failed mid-stream');
        out.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });

  router.get('/api/links/:code/qr', async (ctx) => {
    ctx.state.route = '/api/links/{code}/qr';
    const principal = assertRole(ctx.state, READ_ROLES);
    const code = ctx.params.code;
    const parsed = QrQuerySchema.safeParse(ctx.query);
    if (!parsed.success) throw unprocessable(fieldErrors(parsed.error, 'query'));
    if (!isPossibleCode(code)) throw notFound();
    const row = await db(deps, 'find link', () => findScopedLink(deps.db, code, scopeOf(principal)));
    if (!row) throw notFound();
    const url = `${base}/${row.shortCode}`;
    const { format, size } = parsed.data;
    const opts = { width: size, margin: 2, errorCorrectionLevel: 'M' as const };
    ctx.set('Cache-Control', 'private, max-age=3600');
    if (format === 'png') {
      ctx.type = 'image/png';
      ctx.body = await QRCode.toBuffer(url, { ...opts, type: 'png' });
    } else {
      ctx.type = 'image/svg+xml';
      ctx.body = await QRCode.toString(url, { ...opts, type: 'svg' });
    }
  });
  return router;
}
