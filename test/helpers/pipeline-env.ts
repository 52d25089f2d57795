/**
 * An isolated click pipeline on the shared stack: its own PostgreSQL database, Redis key prefix, consumer
 * groups (positioned at the end of the real topic), Temporal task queue and Schedule ids. Other people's
 * pipelines may read the same topic, but none of them can count into this database or these keys.
 */
import type Redis from 'ioredis';
import { Client, Pool } from 'pg';
import { removeSchedules } from '../../activities/schedules';
import { runMigrations } from '../../db/migrate';
import { createKafka, createRedis } from '../../infra/clients';
import type { Config } from '../../infra/config';
import { clickKeys, deploymentNames, type ClickKeys } from '../../queues/names';
import { isolatedEnv, testConfig, uniqueSuffix } from './test-config';

export interface PipelineEnv {
  suffix: string;
  /** Env overrides for child processes (and testConfig). */
  env: Record<string, string>;
  config: Config;
  /** Pool on the private database. */
  pool: Pool;
  redisQueue: Redis;
  keys: ClickKeys;
  /** Inserts links with fresh codes; returns the codes. */
  createLinks(count: number): Promise<string[]>;
  /** urls.clicks per code in the private database. */
  clicksByCode(codes: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Creates the private database and (unless `kafka` is false) positions fresh consumer groups at the topic's end. */
export async function createPipelineEnv(extra: Record<string, string> = {}, opts: { kafka?: boolean } = {}): Promise<PipelineEnv> {
  const suffix = uniqueSuffix();
  const base = testConfig();
  const dbName = `linkhop_pl_${suffix}`;
  const admin = new Client({ connectionString: base.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const dbUrl = new URL(base.DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;

  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: dbUrl.toString(),
    ...isolatedEnv(`test_pl_${suffix}`),
    INGESTION_FLUSH_INTERVAL_SECONDS: '1',
    INGESTION_DEDUP_TTL_SECONDS: '3600',
    CACHE_WARMER_INTERVAL_SECONDS: '5',
    CACHE_WARMER_TOP_N: '100',
    RATE_LIMIT_ENABLED: 'false',
    ...extra,
  };
  const config = testConfig(env);
  await runMigrations(config, config.DATABASE_URL);

  // New groups start at the end of the shared topic: the backlog of other tests is not ours to count.
  if (opts.kafka !== false) await positionGroups(config, suffix);

  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 4 });
  const redisQueue = createRedis(config, 'queue');
  const names = deploymentNames(config);
  const keys = clickKeys(names.clickKeyPrefix);
  let linkSeq = 0;

  return {
    suffix,
    env,
    config,
    pool,
    redisQueue,
    keys,
    async createLinks(count) {
      const tag = suffix.slice(-8);
      const codes = Array.from({ length: count }, () => `p${tag}${(linkSeq++).toString(36)}`);
      await pool.query(
        `INSERT INTO urls (short_code, original_url) SELECT c, 'https://example.com/' || c FROM unnest($1::text[]) AS c`,
        [codes],
      );
      return codes;
    },
    async clicksByCode(codes) {
      const { rows } = await pool.query<{ short_code: string; clicks: string }>(
        'SELECT short_code, clicks::text FROM urls WHERE short_code = ANY($1)',
        [codes],
      );
      return new Map(rows.map((r) => [r.short_code, Number(r.clicks)]));
    },
    async close() {
      await pool.end().catch(() => undefined);
      await deleteKeys(redisQueue, `${names.clickKeyPrefix}:*`).catch(() => undefined);
      redisQueue.disconnect();
      await removeSchedules(config).catch(() => undefined);
      if (opts.kafka !== false) await deleteGroups(config).catch(() => undefined);
      const drop = new Client({ connectionString: base.DATABASE_URL });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).finally(() => drop.end());
    },
  };
}

/** Sets the counting and analytics groups of `config` to the click topic's current end offsets. */
export async function positionGroups(config: Config, suffix: string): Promise<void> {
  const kafka = createKafka(config, `test-pl-${suffix}`);
  const kadmin = kafka.admin();
  await kadmin.connect();
  try {
    const { clickTopic, group, analyticsGroup } = deploymentNames(config);
    const ends = await kadmin.fetchTopicOffsets(clickTopic);
    // Each setOffsets waits out one fetch round of a paused consumer (kafkajs' default 5 s): both at once.
    await Promise.all(
      [group, analyticsGroup].map((groupId) =>
        kadmin.setOffsets({ groupId, topic: clickTopic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) }),
      ),
    );
  } finally {
    await kadmin.disconnect();
  }
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}



/** Deletes the counting and analytics groups of `config` (they must have no live member). */
export async function deleteGroups(config: Config): Promise<void> {
  const admin = createKafka(config, 'test-pl-cleanup').admin();
  await admin.connect();
  try {
    const { group, analyticsGroup } = deploymentNames(config);
    await admin.deleteGroups([group, analyticsGroup]);
  } finally {
    await admin.disconnect();
  }
}
