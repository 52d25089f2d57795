/**
 * Analytics from ClickHouse: a link's totals, zero-filled series and top values, the top links, and a link's
 * raw clicks as CSV. Bad input is a 400 that names the problem; a ClickHouse failure is a 503 whose body never
 * carries ClickHouse's own text (it is logged instead).
 */
import { Readable } from 'node:stream';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
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
import { findLinkByCode } from '../../db/links';
import type { AppDeps, AppState } from '../deps';
import { badRequest, notFound, unavailable } from '../errors';
import {
  AnalyticsQuerySchema,
  ClicksCsvQuerySchema,
  TopLinksQuerySchema,
  canonicalTimeZone,
  defaultInterval,
  queryError,
  resolveRange,
  zonedTime,
  type ResolvedRange,
} from './analytics.schema';
import { isPossibleCode } from './links.schema';

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

/** 404 unless the link exists (the links API's ownership rules apply once keys own links). */
async function requireLink(deps: AppDeps, ctx: Ctx): Promise<string> {
  const code = ctx.params.code;
  if (!isPossibleCode(code)) throw notFound();
  let found: boolean;
  try {
    found = (await findLinkByCode(deps.db, code)) !== null;
  } catch (err) {
    ctx.state.log.error({ err }, 'analytics link lookup failed');
    throw unavailable('Database unavailable');
  }
  if (!found) throw notFound();
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
  const router = new Router<AppState>();
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
    const q = parseQuery(TopLinksQuerySchema, ctx);
    const r = range(q.from, q.to);
    // The rollups hold quarter hours: the range widens to the quarter hours that contain its ends.
    const from = Math.floor(r.from.getTime() / 900_000) * 900;
    const to = Math.ceil(r.to.getTime() / 900_000) * 900;
    const includeBots = q.include_bots ?? false;
    const links = await analyticsRead(ctx, () => topLinks(ch(), { from, to, limit: q.limit ?? 10, includeBots }));
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
