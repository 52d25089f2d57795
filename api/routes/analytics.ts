/**
 * Analytics from ClickHouse: a link's totals, zero-filled series and top values, the top links, and a link's
 * raw clicks as CSV. Bad input is a 400 that names the problem; a ClickHouse failure is a 503 whose body never
 * carries ClickHouse's own text (it is logged instead).
 */
import { Readable } from 'node:stream';
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import {
  CSV_HEADER,
  clickRowsCsv,
  frame,
  isUnknownTimeZone,
  linkDimensions,
  linkSeries,
  linkTotals,
  topLinks,
  type DimensionCount,
  type Interval,
} from '../../db/clickhouse/analytics';
import { DIMENSIONS, type Dimension } from '../../db/clickhouse/migrations';
import { findScopedLink, liveCodes, type OwnerScope } from '../../db/links';
import type { AppDeps, AppState } from '../deps';
import { badRequest, notFound, unavailable } from '../errors';
import { READ_ROLES, assertRole, scopeOf } from '../middleware/auth';
import { OPTIONAL_KEY_SECURITY, documentRoute, errorResponses, jsonContent } from '../openapi';
import { createRouter } from '../routing';
import {
  AnalyticsQuerySchema,
  ClicksCsvQuerySchema,
  LinkAnalyticsSchema,
  TopLinksQuerySchema,
  TopLinksSchema,
  canonicalTimeZone,
  defaultInterval,
  queryError,
  resolveRange,
  zonedTime,
  type ResolvedRange,
} from './analytics.schema';
import { db } from './link-body';
import { CodeParamSchema, isPossibleCode } from './links.schema';

const path = z.object({ short_code: CodeParamSchema.shape.code });
const RANGE_400 = 'from not before to, a range over 400 days, or a malformed value';
const ACCESS =
  'Like the links they describe: public while no API key is defined, else any key, and keys other than admin ' +
  "see only their own links (another key's link is a 404).";

documentRoute('get', '/api/links/{short_code}/analytics', {
  summary: "A link's clicks over time, unique visitors, bots and top values",
  description:
    'Buckets are local hours or days of tz (quarter-hour rollups in ClickHouse); from and to widen to the buckets ' +
    'that hold them and the answer gives the range used; empty buckets are zeros. Top values: the 10 most ' +
    `frequent, the rest as "other". ${ACCESS}`,
  security: OPTIONAL_KEY_SECURITY,
  requestParams: { path, query: AnalyticsQuerySchema },
  responses: {
    '200': { description: 'Analytics', content: jsonContent(LinkAnalyticsSchema) },
    ...errorResponses([400, `${RANGE_400}, an unknown interval or time zone`], 401, 403, [404, 'Short URL not found'], [503, 'Analytics unavailable']),
  },
});
documentRoute('get', '/api/links/{short_code}/clicks.csv', {
  summary: "A link's raw clicks as CSV, oldest first (streamed)",
  description: `Columns: time (UTC), referrer, country, browser, os, device, bot. No IP is stored; the visitor hash stays inside. ${ACCESS}`,
  security: OPTIONAL_KEY_SECURITY,
  requestParams: { path, query: ClicksCsvQuerySchema },
  responses: {
    '200': { description: 'CSV with a header line', content: { 'text/csv': { schema: z.string() } } },
    ...errorResponses([400, RANGE_400], 401, 403, [404, 'Short URL not found'], [503, 'Analytics unavailable']),
  },
});
documentRoute('get', '/api/analytics/top-links', {
  summary: 'The links with the most clicks in a range (quarter-hour precision)',
  description: `Keys other than admin rank only their own links. ${ACCESS}`,
  security: OPTIONAL_KEY_SECURITY,
  requestParams: { query: TopLinksQuerySchema },
  responses: {
    '200': { description: 'Top links', content: jsonContent(TopLinksSchema) },
    ...errorResponses([400, `${RANGE_400}, a limit outside 1-100`], 401, 403, [503, 'Analytics unavailable']),
  },
});

const TOP_VALUES = 10;
/** Response keys of the dimensions, in DIMENSIONS order. */
const DIMENSION_KEYS: Record<Dimension, string> = { referrer: 'referrers', country: 'countries', browser: 'browsers', os: 'os', device: 'devices' };

type Ctx = Context & { state: AppState; params: Record<string, string> };

function parseQuery<S extends z.ZodType>(schema: S, ctx: Ctx): z.infer<S> {
  const parsed = schema.safeParse(ctx.query);
  if (!parsed.success) throw badRequest(queryError(parsed.error));
  return parsed.data;
}

function range(from: string | undefined, to: string | undefined): ResolvedRange {
  const r = resolveRange(from, to, new Date());
  if (typeof r === 'string') throw badRequest(r);
  return r;
}

/** Which links the caller may see: all in open mode, else by its key's role (401/403 without a fitting key). */
function scope(ctx: Ctx): OwnerScope {
  return ctx.state.authMode === 'keys' ? scopeOf(assertRole(ctx.state, READ_ROLES)) : { kind: 'all' };
}

/** The code, or 404 unless the link is live and the caller may see it (another key's link looks missing). */
async function requireLink(deps: AppDeps, ctx: Ctx): Promise<string> {
  const code = ctx.params.code;
  const s = scope(ctx);
  if (!isPossibleCode(code)) throw notFound();
  const row = await db(deps, 'analytics link lookup', () => findScopedLink(deps.db, code, s));
  if (!row) throw notFound();
  return code;
}

/** Runs ClickHouse reads; any failure but an unknown zone becomes a 503 without ClickHouse's text. */
async function analyticsRead<T>(ctx: Ctx, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isUnknownTimeZone(err)) throw badRequest('Unknown time zone');
    ctx.state.log.error({ err }, 'analytics query failed');
    throw unavailable('Analytics unavailable');
  }
}

/** Top values with '' named, and the clicks outside the top as "other". */
function topValues(dim: Dimension, values: DimensionCount[], total: number): DimensionCount[] {
  const unknown = dim === 'referrer' ? '(direct)' : '(unknown)';
  const out = values.map((v) => ({ value: v.value === '' ? unknown : v.value, clicks: v.clicks }));
  // The totals and the top values are two reads: a click landing between them must not make "other" negative.
  const other = total - out.reduce((sum, v) => sum + v.clicks, 0);
  if (other > 0) out.push({ value: 'other', clicks: other });
  return out;
}

/** The analytics router. */
export function analyticsRoutes(deps: AppDeps): Router<AppState> {
  const router = createRouter();
  const ch = () => deps.clickhouse;

  router.get('/api/links/:code/analytics', async (ctx) => {
    ctx.state.route = '/api/links/{code}/analytics';
    const q = parseQuery(AnalyticsQuerySchema, ctx);
    const tz = canonicalTimeZone(q.tz ?? 'UTC');
    if (!tz) throw badRequest('Unknown time zone: use an IANA name such as Europe/Paris');
    const r = range(q.from, q.to);
    const interval: Interval = q.interval ?? defaultInterval(r);
    const code = await requireLink(deps, ctx);
    const includeBots = q.include_bots ?? false;

    const body = await analyticsRead(ctx, async () => {
      const f = await frame(ch(), { from: r.from.getTime() / 1000, to: r.to.getTime() / 1000, interval, tz });
      const lq = { code, from: f.buckets[0].t, to: f.end.t, includeBots };
      const [totals, series, dims] = await Promise.all([
        linkTotals(ch(), lq),
        linkSeries(ch(), { ...lq, interval, tz }),
        linkDimensions(ch(), { ...lq, limit: TOP_VALUES }),
      ]);
      const byT = new Map(series.map((p) => [p.t, p]));
      return {
        short_code: code,
        from: zonedTime(f.buckets[0].t, f.buckets[0].local),
        to: zonedTime(f.end.t, f.end.local),
        interval,
        tz,
        include_bots: includeBots,
        totals,
        series: f.buckets.map((b) => ({
          t: zonedTime(b.t, b.local),
          clicks: byT.get(b.t)?.clicks ?? 0,
          unique_visitors: byT.get(b.t)?.unique_visitors ?? 0,
        })),
        ...Object.fromEntries(DIMENSIONS.map((d) => [DIMENSION_KEYS[d], topValues(d, dims[d], totals.clicks)])),
      };
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });

  router.get('/api/analytics/top-links', async (ctx) => {
    ctx.state.route = '/api/analytics/top-links';
    const s = scope(ctx);
    const q = parseQuery(TopLinksQuerySchema, ctx);
    const r = range(q.from, q.to);
    // ClickHouse knows no owners: a key's ranking is restricted to the codes PostgreSQL says it owns.
    const codes = s.kind === 'all' ? undefined : await db(deps, 'owned links lookup', () => liveCodes(deps.db, s));
    // The rollups hold quarter hours: the range widens to the quarter hours that contain its ends.
    const from = Math.floor(r.from.getTime() / 900_000) * 900;
    const to = Math.ceil(r.to.getTime() / 900_000) * 900;
    const includeBots = q.include_bots ?? false;
    const links = await analyticsRead(ctx, () => topLinks(ch(), { from, to, limit: q.limit ?? 10, includeBots, codes }));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      from: new Date(from * 1000).toISOString(),
      to: new Date(to * 1000).toISOString(),
      include_bots: includeBots,
      links,
    };
  });

  router.get('/api/links/:code/clicks.csv', async (ctx) => {
    ctx.state.route = '/api/links/{code}/clicks.csv';
    const q = parseQuery(ClicksCsvQuerySchema, ctx);
    const r = range(q.from, q.to);
    const code = await requireLink(deps, ctx);
    const from = Math.floor(r.from.getTime() / 1000);
    const to = Math.ceil(r.to.getTime() / 1000);
    const rows = await analyticsRead(ctx, () => clickRowsCsv(ch(), { code, from, to }));
    rows.on('error', (err: Error) => ctx.state.log.error({ err }, 'clicks.csv stream failed'));
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="${code}-clicks.csv"`);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = prepend(CSV_HEADER, rows);
  });

  return router;
}

/** The header line, then the streamed rows. */
function prepend(header: string, rows: Readable): Readable {
  return Readable.from(
    (async function* () {
      yield header;
      for await (const chunk of rows) yield chunk as string;
    })(),
  );
}
