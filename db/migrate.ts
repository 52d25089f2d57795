/** Applies the committed drizzle migrations under a PostgreSQL advisory lock, so replicas may start together. */
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Client } from 'pg';
import { loadConfig, type Config } from '../infra/config';

const MIGRATION_LOCK_ID = 7_215_001;
export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

/** Runs every pending migration against `url` (default: the configured database). */
export async function runMigrations(config: Config, url = config.DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await client.end();
  }
}

if (require.main === module) {
  runMigrations(loadConfig()).then(
    () => console.log('migrations applied'),
    (err: unknown) => {
      console.error('migration failed:', err);
      process.exit(1);
    },
  );
}
