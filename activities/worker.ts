/** The Temporal worker process: runs the workflows and activities and keeps the Schedules up to date. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPg, createRedis, createTemporalClient } from '../infra/clients';
import { loadConfig } from '../infra/config';
import { Shutdown } from '../infra/shutdown';
import { createLogger } from '../observability/logger';
import { createActivities } from '.';
import { ensureSchedules } from './schedules';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('temporal-worker', config.LOG_LEVEL);
  const { pool, db } = createPg(config, log, { max: 5 });
  const redisCache = createRedis(config, 'cache', log);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ db, redisCache, cacheTtlSeconds: config.CACHE_TTL_SECONDS }),
  });
  const { client, connection: clientConnection } = await createTemporalClient(config);
  await ensureSchedules(client, config);

  const shutdown = new Shutdown(log, 30_000);
  shutdown.add('workers', 'temporal-worker', () => worker.shutdown());
  shutdown.add('connections', 'clients', () =>
    Promise.allSettled([pool.end(), redisCache.quit(), clientConnection.close()]),
  );
  shutdown.installSignalHandlers();
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'temporal worker running');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error('temporal worker failed:', err);
  process.exit(1);
});
