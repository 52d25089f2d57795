/** The drizzle handle over a pg pool: the schema belongs to db/, so the typed handle is built here. */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { createPool } from '../infra/clients';
import type { Config } from '../infra/config';
import type { Logger } from '../observability/logger';
import * as schema from './schema';

/** The drizzle handle; `$client` is its pool, for the few statements written as plain SQL. */
export type Db = NodePgDatabase<typeof schema> & { $client: Pool };

/** Drizzle over an existing pool. */
export const createDb = (pool: Pool): Db => drizzle(pool, { schema });

/** A pg pool plus the drizzle handle over it. */
export function createPg(config: Config, log?: Logger, opts: { max?: number; url?: string } = {}): { pool: Pool; db: Db } {
  const pool = createPool(config, log, opts);
  return { pool, db: createDb(pool) };
}
