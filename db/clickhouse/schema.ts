/**
 * Applies the versioned ClickHouse migrations (migrations.ts): called by the stack launcher, the container
 * setup job, and every process that reads or writes ClickHouse at start. ClickHouse has no locks, so the
 * runner holds a PostgreSQL advisory lock: replicas that start together apply each statement once.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Client } from 'pg';
import { createClickHouse } from '../../infra/clients';
import type { Config } from '../../infra/config';
import { MIGRATIONS, MIGRATIONS_TABLE, migrationStatements, migrationsTableSql } from './migrations';

const CLICKHOUSE_MIGRATION_LOCK_ID = 7_215_002;

/** Versions whose every statement is recorded, plus the steps done of each version. */
async function appliedSteps(ch: ClickHouseClient, database: string): Promise<Set<string>> {
  const rs = await ch.query({ query: `SELECT version, step FROM ${database}.${MIGRATIONS_TABLE}`, format: 'JSONEachRow' });
  const rows = await rs.json<{ version: number | string; step: number | string }>();
  return new Set(rows.map((r) => `${Number(r.version)}.${Number(r.step)}`));
}

/** Applies what is missing to `database` through an admin client (one without a default database). */
export async function applyClickhouseMigrations(admin: ClickHouseClient, database: string): Promise<number> {
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await admin.command({ query: migrationsTableSql(database) });
  const done = await appliedSteps(admin, database);
  let applied = 0;
  for (const m of MIGRATIONS) {
    const statements = migrationStatements(m, database);
    for (let step = 0; step < statements.length; step++) {
      if (done.has(`${m.version}.${step}`)) continue;
      await admin.command({ query: statements[step] });
      await admin.command({
        query: `INSERT INTO ${database}.${MIGRATIONS_TABLE} (version, step, name) VALUES (${m.version}, ${step}, '${m.name}')`,
      });
      applied++;
    }
  }
  return applied;
}

/** Runs the pending migrations of `database` (default: the configured one); returns how many statements ran. */
export async function runClickhouseMigrations(config: Config, database = config.CLICKHOUSE_DATABASE): Promise<number> {
  const lock = new Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5000 });
  await lock.connect();
  // Connect without a database: it may not exist yet.
  const admin = createClickHouse(config, 'default');
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [CLICKHOUSE_MIGRATION_LOCK_ID]);
    return await applyClickhouseMigrations(admin, database);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [CLICKHOUSE_MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.end().catch(() => undefined);
    await admin.close();
  }
}

/** Drops a database (tests and the analytics benchmark create their own). */
export async function dropClickhouseDatabase(config: Config, database: string): Promise<void> {
  const admin = createClickHouse(config, 'default');
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  } finally {
    await admin.close();
  }
}
