/**
 * Every ClickHouse statement of the project lives in this module, written for the 18.x server the local
 * stack runs (no query parameters, no DateTime64): moving to a newer server is one diff here.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export const CLICKS_TABLE = 'click_events';

/** One click as stored for analytics; `click_id` makes a redelivered insert collapse into one row. */
export interface ClickRow {
  click_id: string;
  short_code: string;
  /** `YYYY-MM-DD hh:mm:ss` in UTC */
  event_time: string;
  referrer: string;
  user_agent: string;
  visitor_hash: string;
  is_bot: 0 | 1;
}

/** Quotes a string literal for ClickHouse SQL: the one place client-side binding happens. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ReplacingMergeTree by click id: an at-least-once consumer may insert a click twice; reads use FINAL. */
export function createTableSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.${CLICKS_TABLE} (
    click_id String,
    short_code String,
    event_time DateTime,
    referrer String,
    user_agent String,
    visitor_hash String,
    is_bot UInt8,
    inserted_at DateTime DEFAULT now()
  ) ENGINE = ReplacingMergeTree(inserted_at)
  PARTITION BY toYYYYMM(event_time)
  ORDER BY (short_code, event_time, click_id)`;
}

/** Creates the database and tables when missing. */
export async function ensureClicksSchema(admin: ClickHouseClient, database: string): Promise<void> {
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await admin.command({ query: createTableSql(database) });
}

/** Inserts click rows (JSONEachRow). */
export async function insertClicks(ch: ClickHouseClient, rows: readonly ClickRow[]): Promise<void> {
  if (rows.length === 0) return;
  await ch.insert({ table: CLICKS_TABLE, values: rows as ClickRow[], format: 'JSONEachRow' });
}

/** Distinct clicks per code (deduplicated by click id), for the given codes. */
export async function countClicksByCode(ch: ClickHouseClient, codes: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (codes.length === 0) return out;
  const rs = await ch.query({
    query: `SELECT short_code, uniqExact(click_id) AS clicks FROM ${CLICKS_TABLE}
            WHERE short_code IN (${codes.map(quote).join(', ')}) GROUP BY short_code`,
    format: 'JSONEachRow',
  });
  for (const row of await rs.json<{ short_code: string; clicks: string | number }>()) {
    out.set(row.short_code, Number(row.clicks));
  }
  return out;
}
