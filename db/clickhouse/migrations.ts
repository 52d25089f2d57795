/**
 * Versioned ClickHouse DDL, applied in order and recorded in `schema_migrations` (like the drizzle journal on
 * the PostgreSQL side). Every statement runs on the 18.16 server of the local stack and on the newer image in
 * docker-compose.yml: no `IF NOT EXISTS` on columns, no TTL, no codecs, no SimpleAggregateFunction.
 *
 * The rollups are filled by materialized views, which see each INSERT into click_events exactly once. A click
 * inserted twice would be counted twice there (ReplacingMergeTree only merges the raw table), so the analytics
 * consumer inserts only click ids that ClickHouse does not hold yet (queues/click-consumer/analytics-group.ts).
 */
import { CLICKS_TABLE } from './clicks';

/** Quarter-hour rollup per link: every IANA zone's local hours and days (+05:30, +05:45) start on its edges. */
export const ROLLUP_TABLE = 'clicks_quarter';
/** Clicks per link, quarter hour and dimension value (referrer host, country, browser, os, device). */
export const DIMS_TABLE = 'clicks_dims_quarter';
/** Clicks per link and UTC day: top links over weeks read thousands of rows instead of millions. */
export const DAILY_TABLE = 'clicks_daily';
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface ClickhouseMigration {
  version: number;
  name: string;
  /** Statements for database `db`, run in order; `{db}` is replaced by the quoted-safe database name. */
  statements: readonly string[];
}

/** The dimensions the dims rollup keeps, in the order the API returns them. */
export const DIMENSIONS = ['referrer', 'country', 'browser', 'os', 'device'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const dimsArray = `[('referrer', referrer_host), ('country', country), ('browser', browser), ('os', os), ('device', device)]`;

/** Rollup SELECTs shared by the materialized views and the one-time backfill of rows older than the views. */
const rollupSelect = (from: string) => `SELECT short_code, toStartOfFifteenMinutes(event_time) AS bucket, is_bot,
    countState() AS clicks, uniqState(visitor_hash) AS visitors
  FROM ${from} GROUP BY short_code, bucket, is_bot`;
const dimsSelect = (from: string) => `SELECT short_code, toStartOfFifteenMinutes(event_time) AS bucket, is_bot,
    tupleElement(pair, 1) AS dim, tupleElement(pair, 2) AS value, count() AS clicks
  FROM ${from} ARRAY JOIN ${dimsArray} AS pair GROUP BY short_code, bucket, is_bot, dim, value`;
const dailySelect = (from: string) => `SELECT toDate(event_time, 'UTC') AS day, short_code, is_bot, count() AS clicks
  FROM ${from} GROUP BY day, short_code, is_bot`;

export const MIGRATIONS: readonly ClickhouseMigration[] = [
  {
    version: 1,
    name: 'raw click rows',
    // The table earlier releases created without a migrations table: IF NOT EXISTS adopts it.
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.${CLICKS_TABLE} (
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
      ORDER BY (short_code, event_time, click_id)`,
    ],
  },
  {
    version: 2,
    name: 'enriched click fields',
    // One ALTER: its clauses are applied together, so a retry never meets half of them.
    statements: [
      `ALTER TABLE {db}.${CLICKS_TABLE}
        ADD COLUMN referrer_host String DEFAULT '',
        ADD COLUMN country String DEFAULT '',
        ADD COLUMN browser String DEFAULT '',
        ADD COLUMN os String DEFAULT '',
        ADD COLUMN device String DEFAULT ''`,
    ],
  },
  {
    version: 3,
    name: 'per-link rollups',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.${ROLLUP_TABLE} (
        short_code String,
        bucket DateTime,
        is_bot UInt8,
        clicks AggregateFunction(count),
        visitors AggregateFunction(uniq, String)
      ) ENGINE = AggregatingMergeTree()
      PARTITION BY toYYYYMM(bucket)
      ORDER BY (short_code, bucket, is_bot)`,
      `CREATE TABLE IF NOT EXISTS {db}.${DIMS_TABLE} (
        short_code String,
        bucket DateTime,
        is_bot UInt8,
        dim String,
        value String,
        clicks UInt64
      ) ENGINE = SummingMergeTree(clicks)
      PARTITION BY toYYYYMM(bucket)
      ORDER BY (short_code, bucket, is_bot, dim, value)`,
      `CREATE TABLE IF NOT EXISTS {db}.${DAILY_TABLE} (
        day Date,
        short_code String,
        is_bot UInt8,
        clicks UInt64
      ) ENGINE = SummingMergeTree(clicks)
      PARTITION BY toYYYYMM(day)
      ORDER BY (day, short_code, is_bot)`,
      // Rows already stored are rolled up before the views exist (the consumer waits for the migrations, so
      // nothing is inserted in between). Each backfill empties its target first: a step interrupted half-way
      // can run again, and steps recorded as done never run again (see runner.ts).
      `TRUNCATE TABLE {db}.${ROLLUP_TABLE}`,
      `INSERT INTO {db}.${ROLLUP_TABLE} ${rollupSelect(`{db}.${CLICKS_TABLE} FINAL`)}`,
      `TRUNCATE TABLE {db}.${DIMS_TABLE}`,
      `INSERT INTO {db}.${DIMS_TABLE} ${dimsSelect(`{db}.${CLICKS_TABLE} FINAL`)}`,
      `TRUNCATE TABLE {db}.${DAILY_TABLE}`,
      `INSERT INTO {db}.${DAILY_TABLE} ${dailySelect(`{db}.${CLICKS_TABLE} FINAL`)}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.${ROLLUP_TABLE}_mv TO {db}.${ROLLUP_TABLE} AS ${rollupSelect(`{db}.${CLICKS_TABLE}`)}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.${DIMS_TABLE}_mv TO {db}.${DIMS_TABLE} AS ${dimsSelect(`{db}.${CLICKS_TABLE}`)}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.${DAILY_TABLE}_mv TO {db}.${DAILY_TABLE} AS ${dailySelect(`{db}.${CLICKS_TABLE}`)}`,
    ],
  },
];

/** The statements of a migration for database `database`. */
export function migrationStatements(m: ClickhouseMigration, database: string): string[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`invalid ClickHouse database name: ${database}`);
  return m.statements.map((s) => s.replaceAll('{db}', database));
}

/** One row per statement done: a migration interrupted between statements resumes where it stopped. */
export const migrationsTableSql = (database: string) => `CREATE TABLE IF NOT EXISTS ${database}.${MIGRATIONS_TABLE} (
    version UInt32,
    step UInt32,
    name String,
    applied_at DateTime DEFAULT now()
  ) ENGINE = MergeTree() ORDER BY (version, step)`;
