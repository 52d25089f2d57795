/**
 * A PostgreSQL database of a test's own, migrated, dropped afterwards. Tests that define API keys need it:
 * keys switch the whole service out of open mode, which would change what every other suite's API sees.
 */
import { Client } from 'pg';
import { runMigrations } from '../../db/migrate';
import { testConfig, testDatabaseUrl, uniqueSuffix } from './test-config';

export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates and migrates `linkhop_test_<suffix>`. */
export async function createOwnDatabase(): Promise<OwnDatabase> {
  const name = `linkhop_test_${uniqueSuffix()}`.replace(/[^a-z0-9_]/g, '');
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  await runMigrations(testConfig(), url.toString());
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
