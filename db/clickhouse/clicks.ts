/**
 * Raw click rows: what the analytics consumer writes. Every ClickHouse statement of the project lives in this
 * folder (clicks.ts, migrations.ts, analytics.ts), written for the 18.x server the local stack runs (no query
 * parameters, no DateTime64): moving to a newer server is one diff here.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export const CLICKS_TABLE = 'click_events';

/** One click as stored for analytics; `click_id` makes a redelivered insert collapse into one row. */
export interface ClickRow {
  click_id: string;
  short_code: string;
  /** Unix seconds: a number means the same instant whatever the server's time zone */
  event_time: number;
  referrer: string;
  user_agent: string;
  visitor_hash: string;
  is_bot: 0 | 1;
  /** The referrer's host name, lower case; '' for none */
  referrer_host: string;
  /** ISO 3166-1 alpha-2; '' when unknown */
  country: string;
  browser: string;
  os: string;
  /** desktop, mobile, tablet, console, smarttv, wearable, embedded, bot; '' when unknown */
  device: string;
}

/** Quotes a string literal for ClickHouse SQL: the one place client-side binding happens. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Inserts click rows (JSONEachRow). */
export async function insertClicks(ch: ClickHouseClient, rows: readonly ClickRow[]): Promise<void> {
  if (rows.length === 0) return;
  await ch.insert({ table: CLICKS_TABLE, values: rows as ClickRow[], format: 'JSONEachRow' });
}

// Ids per query: keeps the statement well under max_query_size (raised below) whatever the batch size.
const IDS_PER_QUERY = 5000;

/**
 * The click ids of `rows` that ClickHouse already holds. The consumer inserts only the others: the rollups'
 * materialized views count every inserted row, so a redelivered batch must not be inserted again. The filter
 * on (short_code, event_time) lets the primary key skip everything but the batch's own granules.
 */
export async function storedClickIds(ch: ClickHouseClient, rows: readonly ClickRow[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < rows.length; i += IDS_PER_QUERY) {
    const chunk = rows.slice(i, i + IDS_PER_QUERY);
    const codes = [...new Set(chunk.map((r) => r.short_code))];
    let min = chunk[0].event_time;
    let max = min;
    for (const r of chunk) {
      if (r.event_time < min) min = r.event_time;
      if (r.event_time > max) max = r.event_time;
    }
    const rs = await ch.query({
      query: `SELECT click_id FROM ${CLICKS_TABLE}
              WHERE short_code IN (${codes.map(quote).join(', ')})
                AND event_time >= toDateTime(${min}) AND event_time <= toDateTime(${max})
                AND click_id IN (${chunk.map((r) => quote(r.click_id)).join(', ')})`,
      format: 'JSONEachRow',
      clickhouse_settings: { max_query_size: '16000000' },
    });
    for (const row of await rs.json<{ click_id: string }>()) found.add(row.click_id);
  }
  return found;
}

/**
 * A count per code from `table` (`expression` is the count, e.g. uniqExact(click_id)), for the given codes;
 * codes without rows are absent.
 */
export async function countsByCode(ch: ClickHouseClient, table: string, expression: string, codes: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (codes.length === 0) return out;
  const rs = await ch.query({
    query: `SELECT short_code, ${expression} AS n FROM ${table}
            WHERE short_code IN (${codes.map(quote).join(', ')}) GROUP BY short_code`,
    format: 'JSONEachRow',
  });
  for (const row of await rs.json<{ short_code: string; n: string | number }>()) out.set(row.short_code, Number(row.n));
  return out;
}

/** Distinct clicks per code (deduplicated by click id), for the given codes. */
export const countClicksByCode = (ch: ClickHouseClient, codes: readonly string[]): Promise<Map<string, number>> =>
  countsByCode(ch, CLICKS_TABLE, 'uniqExact(click_id)', codes);
