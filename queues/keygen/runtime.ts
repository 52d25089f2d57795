/**
 * The keygen as an API process runs it: the code source, the refill queue it adds low-watermark jobs to
 * (shown in Bull Board), and a fail-fast queue Redis client for the block list. The API, the test helpers
 * and the bench build it here, so all three run the same thing.
 */
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { closeRedis, createRedis } from '../../infra/clients';
import type { Config } from '../../infra/config';
import type { Logger } from '../../observability/logger';
import { deploymentNames } from '../names';
import { createKeygen, type Keygen } from './keygen';
import { createKeygenQueue, type KeygenQueue } from './queue';

export interface KeygenRuntime {
  keygen: Keygen;
  queue: KeygenQueue;
  /** The fail-fast client the block list is popped through. */
  listRedis: Redis;
  /** Closes the keygen, then the queue and the list client (not `queueRedis` nor the pool: the caller's). */
  close(): Promise<void>;
}

/** Builds (does not start) the keygen over `pool` and the queue Redis connection `queueRedis`. */
export function createKeygenRuntime(config: Config, log: Logger, pool: Pool, queueRedis: Redis): KeygenRuntime {
  const queue = createKeygenQueue(queueRedis, { prefix: deploymentNames(config).queuePrefix, log });
  // No offline queue and a short timeout: a pop against an unreachable Redis fails at once, and the
  // create falls through to PostgreSQL instead of waiting for a reconnect.
  const listRedis = createRedis(config, 'queue', log, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    connectionName: 'linkhop-keygen',
  });
  const keygen = createKeygen({ config, log, pool, queue, listRedis });
  return {
    keygen,
    queue,
    listRedis,
    close: async () => {
      await keygen.close();
      await Promise.allSettled([queue.close(), closeRedis(listRedis)]);
    },
  };
}
