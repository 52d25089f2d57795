/**
 * `npm run bench -- --only analytics`: loads synthetic clicks (10,000,000 over 10,000 links and 30 days; quick
 * runs 200,000 over 1,000 links) into a ClickHouse database of its own, migrated like the real one, and times
 * the query functions the analytics routes call (db/clickhouse/analytics.ts): p95 over repeated runs.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { performance } from 'node:perf_hooks';
import { frame, linkDimensions, linkSeries, linkTotals, topLinks, type Interval } from '../db/clickhouse/analytics';
import { benchCode, insertSyntheticClicks } from '../db/clickhouse/bench-data';
import { CLICKS_TABLE } from '../db/clickhouse/clicks';
import { DAILY_TABLE, DIMS_TABLE, ROLLUP_TABLE } from '../db/clickhouse/migrations';
import { dropClickhouseDatabase, runClickhouseMigrations } from '../db/clickhouse/schema';
import { createClickHouse } from '../infra/clients';
import { parseConfig } from '../infra/config';
import { withLocalSecrets } from '../infra/local-secrets';
import type { ComponentBenchOptions } from './components';

export const ANALYTICS_DATABASE = 'linkhop_bench_analytics';

export interface QueryFigures {
  runs: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

export interface AnalyticsFigures {
  clicks: number;
  links: number;
  days: number;
  busiest_link_clicks: number;
  insert_s: number;
  insert_rows_per_s: number;
  queries: Record<'daily_series_30d' | 'hourly_series_7d' | 'top_referrers_busiest' | 'top_links_30d' | 'link_page_30d', QueryFigures>;
  /** The acceptance targets of the analytics issue, each "met" or "NOT met" with the p95 measured. */
  targets: Record<string, string>;
}

const DAY = 86_400;

async function timed(runs: number, fn: () => Promise<unknown>): Promise<QueryFigures> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)] * 10) / 10;
  return { runs, p50_ms: at(0.5), p95_ms: at(0.95), max_ms: at(1) };
}

export async function runAnalyticsBench(opts: ComponentBenchOptions): Promise<AnalyticsFigures> {
  // The development config: its PostgreSQL database holds the migration lock; the data goes to a database of
  // the bench's own in ClickHouse (opts.env names nothing ClickHouse-side).
  void opts.env;
  const parsed = parseConfig(withLocalSecrets(process.env));
  if (!parsed.ok) throw new Error(`bench config: ${parsed.problems.join('; ')}`);
  const config = parsed.config;
  const clicks = opts.quick ? 200_000 : 10_000_000;
  const links = opts.quick ? 1_000 : 10_000;
  const days = 30;
  const runs = opts.quick ? 5 : 30;
  await dropClickhouseDatabase(config, ANALYTICS_DATABASE);
  await runClickhouseMigrations(config, ANALYTICS_DATABASE);
  // Queries go through the API's client; the load and the merges through one that waits minutes, not 10 s.
  const ch: ClickHouseClient = createClickHouse(config, ANALYTICS_DATABASE);
  const loader = createClient({ url: config.CLICKHOUSE_URL, database: ANALYTICS_DATABASE, request_timeout: 600_000 });
  try {
    // Everything ends at the last whole hour, so the ranges below are bucket-aligned.
    const end = Math.floor(Date.now() / 1000 / 3600) * 3600;
    const chunk = 500_000;
    const t0 = performance.now();
    for (let first = 0; first < clicks; first += chunk) {
      await insertSyntheticClicks(loader, { first, count: Math.min(chunk, clicks - first), links, days, end });
    }
    const insertS = (performance.now() - t0) / 1000;
    // Steady state: the rollups as background merges leave them (merged), not the parts of a minute-old load.
    for (const table of [ROLLUP_TABLE, DIMS_TABLE, DAILY_TABLE]) await loader.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    const rs = await loader.query({
      query: `SELECT short_code, count() AS c FROM ${CLICKS_TABLE} GROUP BY short_code ORDER BY c DESC LIMIT 1`,
      format: 'JSONEachRow',
    });
    const [busiest] = await rs.json<{ short_code: string; c: string | number }>();
    if (busiest?.short_code !== benchCode(0)) throw new Error(`unexpected busiest link ${busiest?.short_code}`);
    const code = busiest.short_code;

    // The route's own steps: frame() aligns the range to the zone's buckets, then the reads.
    const range = async (span: number, interval: Interval) => {
      const f = await frame(ch, { from: end - span, to: end, interval, tz: 'UTC' });
      return { code, from: f.buckets[0].t, to: f.end.t, includeBots: false, interval, tz: 'UTC' };
    };
    const daily = await range(days * DAY, 'day');
    const hourly = await range(7 * DAY, 'hour');
    const series = await linkSeries(ch, daily);
    if (series.length < days) throw new Error(`daily series has ${series.length} buckets`);
    const queries = {
      daily_series_30d: await timed(runs, () => linkSeries(ch, daily)),
      hourly_series_7d: await timed(runs, () => linkSeries(ch, hourly)),
      top_referrers_busiest: await timed(runs, () => linkDimensions(ch, { ...daily, limit: 10 })),
      top_links_30d: await timed(runs, () => topLinks(ch, { from: end - days * DAY, to: end, limit: 10, includeBots: false })),
      // Everything GET /api/links/{code}/analytics asks ClickHouse for a 30-day daily view.
      link_page_30d: await timed(runs, async () => {
        const r = await range(days * DAY, 'day');
        await Promise.all([linkTotals(ch, r), linkSeries(ch, r), linkDimensions(ch, { ...r, limit: 10 })]);
      }),
    };
    const judge = (q: QueryFigures, limitMs: number) => `${q.p95_ms < limitMs ? 'met' : 'NOT met'} (${q.p95_ms} ms)`;
    return {
      clicks,
      links,
      days,
      busiest_link_clicks: Number(busiest.c),
      insert_s: Math.round(insertS * 10) / 10,
      insert_rows_per_s: Math.round(clicks / insertS),
      queries,
      targets: {
        'daily series 30 d p95 < 100 ms': judge(queries.daily_series_30d, 100),
        'hourly series 7 d p95 < 100 ms': judge(queries.hourly_series_7d, 100),
        'top referrers of the busiest link p95 < 200 ms': judge(queries.top_referrers_busiest, 200),
        'top links 30 d p95 < 500 ms': judge(queries.top_links_30d, 500),
      },
    };
  } finally {
    await ch.close();
    await loader.close();
  }
}
