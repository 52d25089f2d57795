/**
 * The keygen worker process: keeps the list of reserved ID blocks topped up. Refills come from a job
 * scheduler it upserts at start and from low-watermark jobs the API processes add; both are in Bull Board.
 */
import { Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { runMigrations } from '../../db/migrate';
import { createPg } from '../../db/client';
import { closeRedis, createRedis } from '../../infra/clients';
import { loadConfig, type Config } from '../../infra/config';
import { Shutdown } from '../../infra/shutdown';
import { exitOnStartupFailure, unreachable } from '../../infra/startup';
import { createLogger, readyLogger, type Logger } from '../../observability/logger';
import { serveMetrics } from '../../observability/metrics-server';
import { KEYGEN_QUEUE, deploymentNames, type NameConfig } from '../names';
import { createAllocator } from './allocator';
import { createKeygenProcessor } from './processor';
import { createKeygenQueue, ensureRefillScheduler, type RefillData } from './queue';

export type KeygenWorkerConfig = NameConfig & Pick<Config, 'ID_BLOCK_SIZE' | 'KEYGEN_RESERVE_BLOCKS' | 'KEYGEN_WORKER_CONCURRENCY'>;

export interface KeygenWorkerDeps {
  config: KeygenWorkerConfig;
  log: Logger;
  pool: Pool;
  /** The queue Redis; BullMQ duplicates it for the worker's blocking connection, the list lives on it. */
  connection: Redis;
  queueName?: string;
}

/** Builds the BullMQ worker that serves refill jobs (it starts consuming at once). */
export function createKeygenWorker(deps: KeygenWorkerDeps): Worker<RefillData, number> {
  const names = deploymentNames(deps.config);
  const processor = createKeygenProcessor({
    allocator: createAllocator({ pool: deps.pool, key: deps.config.ID_ALLOCATOR_KEY }),
    redis: deps.connection,
    listKey: names.keygenBlocks,
    depth: deps.config.KEYGEN_RESERVE_BLOCKS,
    blockSize: deps.config.ID_BLOCK_SIZE,
    log: deps.log,
  });
  const worker = new Worker<RefillData, number>(deps.queueName ?? KEYGEN_QUEUE, processor, {
    connection: deps.connection,
    prefix: names.queuePrefix,
    concurrency: deps.config.KEYGEN_WORKER_CONCURRENCY,
    // A refill takes milliseconds; short locks let a restarted worker pick up a killed one's jobs quickly,
    // and a job that stalls twice is failed where an operator sees it in the board.
    lockDuration: 10_000,
    stalledInterval: 5_000,
    maxStalledCount: 2,
  });
  worker.on('error', (err) => deps.log.warn({ err: err.message }, 'keygen worker error'));
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, err: err.message }, 'refill job failed'));
  return worker;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('keygen-worker', config.LOG_LEVEL);
  await runMigrations(config).catch((err: unknown) => {
    throw unreachable('DATABASE_URL', 'PostgreSQL', config.DATABASE_URL, err);
  });
  const names = deploymentNames(config);
  const { pool } = createPg(config, log, { max: Math.max(2, config.KEYGEN_WORKER_CONCURRENCY) });
  const connection = createRedis(config, 'queue', log);
  const queue = createKeygenQueue(connection, { prefix: names.queuePrefix, log });
  const worker = createKeygenWorker({ config, log, pool, connection });
  const closeMetrics = await serveMetrics(config);

  const shutdown = new Shutdown(log);
  shutdown.add('servers', 'metrics', closeMetrics);
  shutdown.add('workers', 'keygen-worker', () => worker.close());
  shutdown.add('queues', 'keygen-queue', () => queue.close());
  shutdown.add('connections', 'postgres', () => pool.end());
  shutdown.add('connections', 'redis-queue', () => closeRedis(connection));
  shutdown.installSignalHandlers();

  await worker.waitUntilReady();
  // At every start: a flushed queue Redis loses the scheduler too, and a restart brings it back.
  await ensureRefillScheduler(queue, config.KEYGEN_REFILL_INTERVAL_SECONDS);
  readyLogger(log).info(
    { queue: worker.name, prefix: names.queuePrefix, list: names.keygenBlocks, depth: config.KEYGEN_RESERVE_BLOCKS },
    'keygen worker ready',
  );
}

if (require.main === module) {
  main().catch(exitOnStartupFailure('keygen worker'));
}
