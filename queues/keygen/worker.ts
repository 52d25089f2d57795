/** The keygen worker process: serves refill jobs from the keygen queue by reserving blocks in PostgreSQL. */
import { Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { runMigrations } from '../../db/migrate';
import { closeRedis, createRedis } from '../../infra/clients';
import { createPg } from '../../db/client';
import { loadConfig, type Config } from '../../infra/config';
import { Shutdown } from '../../infra/shutdown';
import { exitOnStartupFailure, unreachable } from '../../infra/startup';
import { createLogger, type Logger } from '../../observability/logger';
import { serveMetrics } from '../../observability/metrics-server';
import { KEYGEN_QUEUE } from '../names';
import type { IdBlock } from './allocator';
import { createAllocator } from './allocator';
import { createKeygenProcessor } from './processor';
import type { RefillData } from './queue';

export interface KeygenWorkerDeps {
  config: Pick<Config, 'ID_ALLOCATOR_KEY' | 'KEYGEN_WORKER_CONCURRENCY' | 'QUEUE_PREFIX'>;
  log: Logger;
  pool: Pool;
  /** The queue Redis; BullMQ duplicates it for the worker's blocking connection. */
  connection: Redis;
  queueName?: string;
}

/** Builds the BullMQ worker that serves refill jobs (it starts consuming at once). */
export function createKeygenWorker(deps: KeygenWorkerDeps): Worker<RefillData, IdBlock> {
  const processor = createKeygenProcessor({
    allocator: createAllocator({ pool: deps.pool, key: deps.config.ID_ALLOCATOR_KEY }),
    log: deps.log,
    maxBlockSize: 1_000_000,
  });
  const worker = new Worker<RefillData, IdBlock>(deps.queueName ?? KEYGEN_QUEUE, processor, {
    connection: deps.connection,
    prefix: deps.config.QUEUE_PREFIX,
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
  const { pool } = createPg(config, log, { max: Math.max(2, config.KEYGEN_WORKER_CONCURRENCY) });
  const connection = createRedis(config, 'queue', log);
  const worker = createKeygenWorker({ config, log, pool, connection });

  const closeMetrics = await serveMetrics(config);

  const shutdown = new Shutdown(log);
  shutdown.add('servers', 'metrics', closeMetrics);
  shutdown.add('workers', 'keygen-worker', () => worker.close());
  shutdown.add('connections', 'postgres', () => pool.end());
  shutdown.add('connections', 'redis-queue', () => closeRedis(connection));
  shutdown.installSignalHandlers();

  await worker.waitUntilReady();
  log.info({ queue: worker.name, prefix: config.QUEUE_PREFIX, concurrency: config.KEYGEN_WORKER_CONCURRENCY }, 'keygen worker ready');
}

if (require.main === module) {
  main().catch(exitOnStartupFailure('keygen worker'));
}
