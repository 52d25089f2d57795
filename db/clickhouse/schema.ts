/** Applies the ClickHouse DDL; called by the stack launcher and by workers at start. */
import { createClickHouse } from '../../infra/clients';
import type { Config } from '../../infra/config';
import { ensureClicksSchema } from './clicks';

/** Creates the analytics database and tables when missing. */
export async function ensureClickhouseSchema(config: Config): Promise<void> {
  // Connect without a database: it may not exist yet.
  const admin = createClickHouse(config, 'default');
  try {
    await ensureClicksSchema(admin, config.CLICKHOUSE_DATABASE);
  } finally {
    await admin.close();
  }
}
