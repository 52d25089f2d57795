/** The Temporal worker process: runs the workflows and activities and keeps the Schedules up to date. */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { closeRedis, createRedis, createTemporalClient } from '../infra/clients';
import { createPg } from '../db/client';
import { evictLink } from '../db/link-cache';
import { loadConfig } from '../infra/config';
import { Shutdown } from '../infra/shutdown';
import { exitOnStartupFailure, unreachable } from '../infra/startup';
import { createLogger, readableErrors, readyLogger } from '../observability/logger';
import { serveMetrics } from '../observability/metrics-server';
import { clickKeys, deploymentNames } from '../queues/names';
import { createActivities } from '.';
import { ensureSchedules } from './schedules';
import { createTemporalWorker } from './temporal-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('temporal-worker', config.LOG_LEVEL);
  const names = deploymentNames(config);
  // The SDK's own logs (bundling, state changes) go through pino, warnings and above only.
  // Our Shutdown handles the signals; the SDK's own handlers would race it, even before a worker exists.
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', ({ level, message, meta }) =>
      log[level === 'ERROR' ? 'error' : 'warn']({ sdk: readableErrors(meta) }, message),
    ),
  });
  // Handlers first: a SIGTERM that arrives while the workflow bundle is still building must still exit.
  const shutdown = new Shutdown(log, 30_000);
  shutdown.installSignalHandlers();
  const { pool, db } = createPg(config, log, { max: 5 });
  const redisCache = createRedis(config, 'cache', log);
  // The click aggregates live on the queue Redis (noeviction + AOF).
  const redisQueue = createRedis(config, 'queue', log);
  shutdown.add('connections', 'clients', () => Promise.allSettled([pool.end(), closeRedis(redisCache), closeRedis(redisQueue)]));
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }).catch((err: unknown) => {
    throw unreachable('TEMPORAL_ADDRESS', 'Temporal', `grpc://${config.TEMPORAL_ADDRESS}`, err);
  });
  const worker = await createTemporalWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: names.taskQueue,
    activities: createActivities({
      db,
      redisCache,
      cacheTtlSeconds: config.CACHE_TTL_SECONDS,
      clicks: {
        redisQueue,
        redisCache,
        pool,
        keys: clickKeys(names.clickKeyPrefix),
        evictLinks: (codes) => evictLink(redisCache, codes),
      },
    }),
  });
  const { client, connection: clientConnection } = await createTemporalClient(config);
  await ensureSchedules(client, config);

  const closeMetrics = await serveMetrics(config);

  shutdown.add('servers', 'metrics', closeMetrics);
  shutdown.add('workers', 'temporal-worker', () => worker.shutdown());
  shutdown.add('connections', 'temporal-client', () => clientConnection.close());
  readyLogger(log).info({ taskQueue: names.taskQueue }, 'temporal worker running');
  await worker.run();
  await connection.close();
}

main().catch(exitOnStartupFailure('temporal worker'));
