/** Real keygen pieces for tests: an isolated config (own allocator key, queue prefix) and a built keygen. */
import type { QueueEvents, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { createRedis } from '../../infra/clients';
import { createPg } from '../../db/client';
import type { Config } from '../../infra/config';
import { createLogger } from '../../observability/logger';
import { createKeygen, type Keygen, type KeygenDeps } from '../../queues/keygen/keygen';
import { closeKeygenEvents, createKeygenEvents, createKeygenQueue, type KeygenQueue } from '../../queues/keygen/queue';
import { createKeygenWorker } from '../../queues/keygen/worker';
import { testConfig, uniqueSuffix } from './test-config';

/** A port nothing listens on: connections are refused at once, a real "service down". */
export const DEAD_PORT = 1;

/** Test config with its own ID_ALLOCATOR_KEY and QUEUE_PREFIX, so concurrent suites never share either. */
export function keygenTestConfig(overrides: Record<string, string> = {}): Config {
  const id = uniqueSuffix();
  return testConfig({
    ID_ALLOCATOR_KEY: `test-keygen-${id}`,
    QUEUE_PREFIX: `test-keygen-${id}`,
    ID_BLOCK_SIZE: '1000',
    KEYGEN_REFILL_TIMEOUT_MS: '2000',
    ...overrides,
  });
}

export interface KeygenHarness {
  keygen: Keygen;
  pool: Pool;
  redis: Redis;
  queue: KeygenQueue;
  events: QueueEvents;
  /** Closes the keygen, then its queue objects, then its connections. */
  close(): Promise<void>;
}

/** Builds a keygen exactly as api/wiring.ts does, on its own connections; not started. */
export function buildKeygen(config: Config, extra: Partial<KeygenDeps> = {}): KeygenHarness {
  const log = createLogger('keygen-test', config.LOG_LEVEL);
  const { pool } = createPg(config, log, { max: 4 });
  const redis = createRedis(config, 'queue', log);
  const queue = createKeygenQueue(redis, { prefix: config.QUEUE_PREFIX, log });
  const events = createKeygenEvents(redis, { prefix: config.QUEUE_PREFIX, log });
  const keygen = createKeygen({ config, log, pool, queue, events, queueRedis: redis, ...extra });
  return {
    keygen,
    pool,
    redis,
    queue,
    events,
    close: async () => {
      await keygen.close();
      await Promise.allSettled([closeKeygenEvents(events), queue.close()]);
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Starts an in-process keygen worker on its own connections; returns it with a close function. */
export function startKeygenWorker(config: Config): { worker: Worker; close(): Promise<void> } {
  const log = createLogger('keygen-worker-test', config.LOG_LEVEL);
  const { pool } = createPg(config, log, { max: 4 });
  const connection = createRedis(config, 'queue', log);
  const worker = createKeygenWorker({ config, log, pool, connection });
  return {
    worker,
    close: async () => {
      await worker.close();
      connection.disconnect();
      await pool.end();
    },
  };
}

/** Removes the test's allocator row. */
export async function dropAllocatorKey(config: Config): Promise<void> {
  const { pool } = createPg(config, undefined, { max: 1 });
  try {
    await pool.query('DELETE FROM id_allocator WHERE name = $1', [config.ID_ALLOCATOR_KEY]);
  } finally {
    await pool.end();
  }
}

/** Deletes every key of the test's keygen queue (its own prefix), so runs leave nothing in Redis. */
export async function obliterateKeygenQueue(config: Config): Promise<void> {
  const redis = createRedis(config, 'queue');
  const queue = createKeygenQueue(redis, { prefix: config.QUEUE_PREFIX });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
