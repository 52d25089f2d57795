/**
 * The real counting consumer group (queues/click-consumer/counter-group.ts), run in the test process for API
 * tests: its own key prefix and consumer group, positioned at the end of the shared click topic, so it counts
 * exactly the clicks produced after it started, into keys no other pipeline reads or flushes.
 */
import type { Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { createKafka, createRedis } from '../../infra/clients';
import type { Config } from '../../infra/config';
import { createLogger } from '../../observability/logger';
import { startCounterGroup } from '../../queues/click-consumer/counter-group';
import { createDeadLetter } from '../../queues/click-consumer/dead-letter';
import { createClickLedger } from '../../queues/click-ledger';
import { createSafeProducer } from '../../queues/kafka-producer';
import { clickKeys, deploymentNames } from '../../queues/names';
import { ensureTopics } from '../../queues/topics';
import { deleteGroups, positionGroups } from './pipeline-env';
import { isolatedEnv } from './test-config';
import { waitUntil } from '../../infra/wait';

/** Env overrides giving an API (in-process or child) and its counter a private key prefix and group. */
export function clickCounterEnv(suffix: string): Record<string, string> {
  return {
    ...isolatedEnv(`test_api_${suffix}`),
    // One marker per click, too many to find again among the queue Redis's keys: they expire instead.
    INGESTION_DEDUP_TTL_SECONDS: '600',
  };
}

export interface ClickCounter {
  /** urls.clicks plus the clicks aggregated so far, read as /api/stats reads it; null for an unknown link. */
  clicks(code: string): Promise<number | null>;
  /** Resolves once every message on the click topic when called has been aggregated and committed. */
  settle(timeoutMs?: number): Promise<void>;
  /** Stops the consumer, then deletes its groups and its keys (the dedup markers expire on their own). */
  close(): Promise<void>;
}

/** Positions the groups of `config` at the topic's end and starts the counting group; resolves once it runs. */
export async function startClickCounter(config: Config): Promise<ClickCounter> {
  const log = createLogger('click-counter-test', config.LOG_LEVEL);
  const names = deploymentNames(config);
  const keys = clickKeys(names.clickKeyPrefix);
  const kafka = createKafka(config, `test-counter-${names.group}`, log);
  await ensureTopics(kafka, config);
  await positionGroups(config, names.group);

  const redis = createRedis(config, 'queue', log);
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 2 });
  const ledger = createClickLedger({ redis, pool, keys, dedupTtlSeconds: config.INGESTION_DEDUP_TTL_SECONDS });
  const producer = createSafeProducer(kafka, { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 });
  const admin = kafka.admin();
  let consumer: Consumer | undefined;
  const closeClients = async () => {
    await Promise.allSettled([consumer?.disconnect(), producer.disconnect(), admin.disconnect()]);
    await deleteGroups(config).catch(() => undefined);
    // By name: a SCAN for the prefix would walk millions of other runs' keys. No flush runs, so no snapshots.
    await redis.unlink(keys.pending, keys.flush, keys.offsets(names.group), keys.fallback).catch(() => undefined);
    redis.disconnect();
    await pool.end();
  };
  try {
    await admin.connect();
    consumer = await startCounterGroup({
      kafka,
      topic: names.clickTopic,
      group: names.group,
      ledger,
      deadLetter: createDeadLetter(producer, names.deadLetterTopic, names.group),
      log,
    });
  } catch (err) {
    await closeClients();
    throw err;
  }

  /** Partitions whose committed offset is still below `ends`, as "p:committed<end". */
  const behind = async (ends: { partition: number; high: string }[]): Promise<string[]> => {
    const [committed] = await admin.fetchOffsets({ groupId: names.group, topics: [names.clickTopic] });
    const at = new Map(committed.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    return ends
      .filter((e) => (at.get(e.partition) ?? -1n) < BigInt(e.high))
      .map((e) => `${e.partition}:${at.get(e.partition) ?? -1n}<${e.high}`);
  };

  return {
    clicks: async (code) => (await ledger.read(code))?.total ?? null,
    async settle(timeoutMs = 10_000) {
      // The group commits a batch only after aggregating it, so a committed end means counted.
      const ends = await admin.fetchTopicOffsets(names.clickTopic);
      await waitUntil(
        async () => (await behind(ends)).length === 0,
        { timeoutMs, intervalMs: 100, describe: async () => `counter group behind the topic end: ${(await behind(ends)).join(', ')}` },
      );
    },
    close: closeClients,
  };
}
