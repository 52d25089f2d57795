/** One-shot setup for container deployments: migrations, Kafka topics, ClickHouse tables; then exits. */
import { runClickhouseMigrations } from '../db/clickhouse/schema';
import { runMigrations } from '../db/migrate';
import { ensureTopics } from '../queues/topics';
import { createKafka } from './clients';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const config = loadConfig();
  await runMigrations(config);
  await ensureTopics(createKafka(config, 'linkhop-setup'), config);
  await runClickhouseMigrations(config);
  console.log('setup complete');
}

main().catch((err: unknown) => {
  console.error('setup failed:', err);
  process.exit(1);
});
