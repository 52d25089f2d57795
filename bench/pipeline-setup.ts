/** The pipeline bench's isolated environment: its own database, topic, groups, prefix and task queue. */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Client, Pool } from 'pg';
import { runMigrations } from '../db/migrate';
import { createKafka } from '../infra/clients';
import { parseConfig, type Config } from '../infra/config';
import { withLocalSecrets } from '../infra/local-secrets';
import type { Logger } from '../observability/logger';
import { deploymentNames } from '../queues/names';
import { ensureTopics } from '../queues/topics';
import { benchIsolation } from './servers';

/** Env for the bench's child processes (bench-only names unless `base` gives others) and its parsed config. */
export function benchConfig(base: Record<string, string>, flushIntervalSeconds: number): { env: Record<string, string>; config: Config } {
  const dev = parseConfig(withLocalSecrets(process.env));
  if (!dev.ok) throw new Error(`config: ${dev.problems.join('; ')}`);
  // The bench's deployment names (never the development task queue, whose worker would run our flushes).
  const env: Record<string, string> = {
    LOG_LEVEL: 'info',
    ...benchIsolation(dev.config),
    ...base,
    INGESTION_FLUSH_INTERVAL_SECONDS: String(flushIntervalSeconds),
  };
  const parsed = parseConfig({ ...process.env, ...env });
  if (!parsed.ok) throw new Error(`bench config: ${parsed.problems.join('; ')}`);
  return { env, config: parsed.config };
}

/** Creates and migrates the database, ensures the topics, moves the groups to the end, inserts the links. */
export async function prepareBench(config: Config, log: Logger): Promise<{ kafka: Kafka; pool: Pool; codes: string[]; probe: string; tag: string }> {
  const names = deploymentNames(config);
  // Any existing database will do to create the bench's own.
  const adminUrl = new URL(config.DATABASE_URL);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  const dbName = new URL(config.DATABASE_URL).pathname.slice(1);
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount === 0) {
    await admin.query(`CREATE DATABASE "${dbName}"`).catch(() => undefined);
  }
  await admin.end();
  await runMigrations(config, config.DATABASE_URL);
  const kafka = createKafka(config, 'bench-pipeline', log);
  await ensureTopics(kafka, config);
  const kadmin = kafka.admin();
  await kadmin.connect();
  const ends = await kadmin.fetchTopicOffsets(names.clickTopic);
  for (const groupId of [names.group, names.analyticsGroup]) {
    await kadmin.setOffsets({ groupId, topic: names.clickTopic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
  }
  await kadmin.disconnect();

  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 2 });
  const tag = randomUUID().replace(/-/g, '').slice(0, 8);
  const codes = Array.from({ length: 1000 }, (_, i) => `b${tag}${i.toString(36)}`);
  const probe = `b${tag}probe`;
  await pool.query(
    `INSERT INTO urls (short_code, original_url) SELECT c, 'https://example.com/' || c FROM unnest($1::text[]) AS c`,
    [[...codes, probe]],
  );

  return { kafka, pool, codes, probe, tag };
}
