/** Real keygen pieces for tests: an isolated config (own allocator key and deployment names) and a built keygen. */
import type { Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { createRedis } from '../../infra/clients';
import { createPg } from '../../db/client';
import type { Config } from '../../infra/config';
import { createLogger } from '../../observability/logger';
import type { Keygen } from '../../queues/keygen/keygen';
import { createKeygenQueue, type KeygenQueue } from '../../queues/keygen/queue';
import { createKeygenRuntime } from '../../queues/keygen/runtime';
import { createKeygenWorker } from '../../queues/keygen/worker';
import { deploymentNames } from '../../queues/names';
import { isolatedEnv, testConfig, uniqueSuffix } from './test-config';

/** A port nothing listens on: connections are refused at once, a real "service down". */
export const DEAD_PORT = 1;

/** Test config with its own ID_ALLOCATOR_KEY and deployment prefix, so concurrent suites never share either. */
export function keygenTestConfig(overrides: Record<string, string> = {}): Config {
  const id = uniqueSuffix();
  return testConfig({
    ID_ALLOCATOR_KEY: `test-keygen-${id}`,
    ...isolatedEnv(`test-keygen-${id}`),
    ID_BLOCK_SIZE: '1000',
    ...overrides,
  });
}

export interface KeygenHarness {
  config: Config;
  keygen: Keygen;
  /** The fail-fast client the keygen pops the block list through. */
  listRedis: Redis;
  pool: Pool;
  /** The queue Redis connection the refill queue runs on. */
  redis: Redis;
  queue: KeygenQueue;
  /** Closes the keygen, then its queue objects, then its connections. */
  close(): Promise<void>;
}

/** Builds a keygen exactly as api/wiring.ts does, on its own connections; not started. */
export function buildKeygen(config: Config): KeygenHarness {
  const log = createLogger('keygen-test', config.LOG_LEVEL);
  const { pool } = createPg(config, log, { max: 4 });
  const redis = createRedis(config, 'queue', log);
  const runtime = createKeygenRuntime(config, log, pool, redis);
  return {
    config,
    keygen: runtime.keygen,
    listRedis: runtime.listRedis,
    pool,
    redis,
    queue: runtime.queue,
    close: async () => {
      await runtime.close();
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

/** Deletes the test's keygen queue and block list (its own names), so runs leave nothing in Redis. */
export async function obliterateKeygenQueue(config: Config): Promise<void> {
  const redis = createRedis(config, 'queue');
  const names = deploymentNames(config);
  const queue = createKeygenQueue(redis, { prefix: names.queuePrefix });
  try {
    await queue.obliterate({ force: true });
    await redis.del(names.keygenBlocks);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
