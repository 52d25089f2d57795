/**
 * Analytics reads. Series, totals and top dimensions come from the quarter-hour rollups, never from raw rows;
 * top links add the daily rollup for whole UTC days. Times cross this module as Unix seconds; the time zone
 * is a name the caller has checked against Intl (ClickHouse refuses names it does not know: see
 * isUnknownTimeZone). Empty buckets are not returned here: the API zero-fills the series from frame().
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Transform, type Readable } from 'node:stream';
import { CLICKS_TABLE, countsByCode, quote } from './clicks';
import { DAILY_TABLE, DIMENSIONS, DIMS_TABLE, ROLLUP_TABLE, type Dimension } from './migrations';

export type Interval = 'hour' | 'day';

const QUARTER = 900;
const startOf = (interval: Interval, expr: string, tz: string) =>
  `${interval === 'hour' ? 'toStartOfHour' : 'toStartOfDay'}(${expr}, ${quote(tz)})`;

async function rows<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  // A key's top links carry its codes in the statement: allow statements larger than the 256 KB default.
  const rs = await ch.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_query_size: '64000000' } });
  return rs.json<T>();
}

/** A bucket start: the instant, and the wall-clock time there in the requested zone. */
export interface BucketStart {
  t: number;
  /** `YYYY-MM-DD hh:mm:ss` in the zone */
  local: string;
}

/**
 * The buckets (local hours or days of `tz`) that cover [from, to), plus the start of the bucket after them:
 * computed by the same ClickHouse functions that group the data, so both agree in every zone and on every
 * daylight-saving day. Reads no table (numbers() over the range's quarter hours).
 */
export async function frame(
  ch: ClickHouseClient,
  q: { from: number; to: number; interval: Interval; tz: string },
): Promise<{ buckets: BucketStart[]; end: BucketStart }> {
  const first = Math.floor(q.from / QUARTER) * QUARTER;
  // Past `to` by more than one bucket (a day is at most 25 hours), so the next bucket's start is included.
  const pad = q.interval === 'hour' ? 2 * 3600 : 27 * 3600;
  const n = Math.ceil((q.to + pad - first) / QUARTER);
  const all = await rows<{ t: number | string; local: string }>(
    ch,
    `SELECT DISTINCT toUInt32(${startOf(q.interval, `toDateTime(${first}) + number * ${QUARTER}`, q.tz)}) AS t,
       toString(toDateTime(t), ${quote(q.tz)}) AS local
     FROM numbers(${n}) ORDER BY t`,
  );
  const starts = all.map((r) => ({ t: Number(r.t), local: r.local }));
  const buckets = starts.filter((b) => b.t < q.to);
  const end = starts.find((b) => b.t >= q.to);
  if (!end || buckets.length === 0) throw new Error('analytics frame does not cover the range');
  return { buckets, end };
}

export interface LinkQuery {
  code: string;
  /** bucket-aligned Unix seconds (from frame()) */
  from: number;
  to: number;
  includeBots: boolean;
}

const linkRange = (q: LinkQuery) =>
  `short_code = ${quote(q.code)} AND bucket >= toDateTime(${q.from}) AND bucket < toDateTime(${q.to})`;
const people = (q: LinkQuery) => (q.includeBots ? '' : ' AND is_bot = 0');

export interface Totals {
  clicks: number;
  unique_visitors: number;
  bots: number;
}

/** Clicks the filter keeps, their unique visitors, and the bots' clicks (always) in the range. */
export async function linkTotals(ch: ClickHouseClient, q: LinkQuery): Promise<Totals> {
  const [r] = await rows<Record<'people' | 'bots' | 'uv_people' | 'uv_all', string | number>>(
    ch,
    `SELECT countMergeIf(clicks, is_bot = 0) AS people, countMergeIf(clicks, is_bot = 1) AS bots,
       uniqMergeIf(visitors, is_bot = 0) AS uv_people, uniqMerge(visitors) AS uv_all
     FROM ${ROLLUP_TABLE} WHERE ${linkRange(q)}`,
  );
  const bots = Number(r?.bots ?? 0);
  const peopleClicks = Number(r?.people ?? 0);
  return {
    clicks: q.includeBots ? peopleClicks + bots : peopleClicks,
    unique_visitors: Number((q.includeBots ? r?.uv_all : r?.uv_people) ?? 0),
    bots,
  };
}

export interface SeriesPoint {
  t: number;
  clicks: number;
  unique_visitors: number;
}

/** Non-empty buckets of the range, grouped by local hour or day of `tz`. */
export async function linkSeries(ch: ClickHouseClient, q: LinkQuery & { interval: Interval; tz: string }): Promise<SeriesPoint[]> {
  const out = await rows<{ t: number | string; clicks: number | string; uv: number | string }>(
    ch,
    `SELECT toUInt32(${startOf(q.interval, 'bucket', q.tz)}) AS t, countMerge(clicks) AS clicks, uniqMerge(visitors) AS uv
     FROM ${ROLLUP_TABLE} WHERE ${linkRange(q)}${people(q)} GROUP BY t ORDER BY t`,
  );
  return out.map((r) => ({ t: Number(r.t), clicks: Number(r.clicks), unique_visitors: Number(r.uv) }));
}

export interface DimensionCount {
  value: string;
  clicks: number;
}

/** The `limit` most frequent values of every dimension (ties by value), '' standing for unknown. */
export async function linkDimensions(
  ch: ClickHouseClient,
  q: LinkQuery & { limit: number },
): Promise<Record<Dimension, DimensionCount[]>> {
  const out = await rows<{ dim: Dimension; value: string; clicks: number | string }>(
    ch,
    `SELECT dim, value, sum(clicks) AS clicks FROM ${DIMS_TABLE}
     WHERE ${linkRange(q)}${people(q)} GROUP BY dim, value
     ORDER BY dim, clicks DESC, value LIMIT ${Math.trunc(q.limit)} BY dim`,
  );
  const result = Object.fromEntries(DIMENSIONS.map((d) => [d, [] as DimensionCount[]])) as Record<Dimension, DimensionCount[]>;
  for (const r of out) result[r.dim]?.push({ value: r.value, clicks: Number(r.clicks) });
  return result;
}

export interface TopLink {
  short_code: string;
  clicks: number;
  bots: number;
}

/**
 * The links with the most clicks in [from, to) (quarter-hour aligned): whole UTC days from the daily rollup,
 * the partial days at either end from the quarter-hour one. `codes` restricts the answer to those links.
 */
export async function topLinks(
  ch: ClickHouseClient,
  q: { from: number; to: number; limit: number; includeBots: boolean; codes?: readonly string[] },
): Promise<TopLink[]> {
  const firstDay = Math.ceil(q.from / 86_400) * 86_400;
  const endDay = Math.floor(q.to / 86_400) * 86_400;
  const only = q.codes ? ` AND short_code IN (${q.codes.length ? q.codes.map(quote).join(', ') : "''"})` : '';
  const parts: string[] = [];
  if (firstDay < endDay) {
    parts.push(`SELECT short_code, is_bot, sum(clicks) AS c FROM ${DAILY_TABLE}
      WHERE day >= toDate(${quote(isoDay(firstDay))}) AND day < toDate(${quote(isoDay(endDay))})${only}
      GROUP BY short_code, is_bot`);
    parts.push(quarterPart(q.from, firstDay, only), quarterPart(endDay, q.to, only));
  } else {
    parts.push(quarterPart(q.from, q.to, only));
  }
  const order = q.includeBots ? 'people + bots' : 'people';
  const out = await rows<{ short_code: string; people: number | string; bots: number | string }>(
    ch,
    `SELECT short_code, sumIf(c, is_bot = 0) AS people, sumIf(c, is_bot = 1) AS bots
     FROM (${parts.join(' UNION ALL ')}) GROUP BY short_code
     HAVING ${order} > 0 ORDER BY ${order} DESC, short_code LIMIT ${Math.trunc(q.limit)}`,
  );
  return out.map((r) => {
    const bots = Number(r.bots);
    const p = Number(r.people);
    return { short_code: r.short_code, clicks: q.includeBots ? p + bots : p, bots };
  });
}

const isoDay = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const quarterPart = (from: number, to: number, only: string) =>
  `SELECT short_code, is_bot, countMerge(clicks) AS c FROM ${ROLLUP_TABLE}
   WHERE bucket >= toDateTime(${from}) AND bucket < toDateTime(${to})${only} GROUP BY short_code, is_bot`;

/** The header of clicks.csv; the rows come from clickRowsCsv in this column order. */
export const CSV_HEADER = 'time,referrer,country,browser,os,device,bot\n';

/**
 * A link's raw rows in [from, to) as CSV (no header), oldest first, streamed from ClickHouse. No IP exists to
 * export, and the visitor hash and click id stay inside ClickHouse.
 */
export async function clickRowsCsv(ch: ClickHouseClient, q: { code: string; from: number; to: number }): Promise<Readable> {
  const rs = await ch.query({
    query: `SELECT formatDateTime(event_time, '%Y-%m-%dT%H:%M:%SZ', 'UTC') AS time, referrer, country, browser, os, device,
       is_bot AS bot
     FROM ${CLICKS_TABLE} FINAL
     WHERE short_code = ${quote(q.code)} AND event_time >= toDateTime(${q.from}) AND event_time < toDateTime(${q.to})
     ORDER BY event_time, click_id`,
    format: 'CSV',
  });
  // The client streams arrays of parsed lines; hand them on as text, one chunk per array.
  const toText = new Transform({
    writableObjectMode: true,
    transform(chunk: Array<{ text: string }>, _enc, done) {
      let out = '';
      for (const row of chunk) out += `${row.text}\n`;
      done(null, out);
    },
  });
  const source = rs.stream();
  source.on('error', (err: Error) => toText.destroy(err));
  return source.pipe(toText);
}

/** True when ClickHouse refused a query because it does not know the time zone name. */
export function isUnknownTimeZone(err: unknown): boolean {
  return err instanceof Error && /Cannot load time zone|time zone/i.test(err.message);
}

/**
 * Clicks per code as the daily rollup counts them: its view adds every inserted row, so a click inserted
 * twice shows here while uniqExact above still counts it once (tests compare both).
 */
export const rolledUpClicksByCode = (ch: ClickHouseClient, codes: readonly string[]): Promise<Map<string, number>> =>
  countsByCode(ch, DAILY_TABLE, 'sum(clicks)', codes);
