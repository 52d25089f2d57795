/** Builds the API's dependencies from config: used by server.ts and by the integration tests alike. */
import { Connection } from '@temporalio/client';
import { createClickHouse, createKafka, createPg, createRedis } from '../infra/clients';
import type { Config } from '../infra/config';
import { createHealthChecker } from '../infra/health';
import type { Logger } from '../observability/logger';
import type { AppDeps } from './deps';

export interface ApiRuntime {
  deps: AppDeps;
  /** Stops accepting (readiness turns 503) before the drain. */
  stopAccepting: () => void;
  /** Closes every connection this runtime opened. */
  close: () => Promise<void>;
}

export function createApiRuntime(config: Config, log: Logger): ApiRuntime {
  const { pool, db } = createPg(config, log);
  const redisCache = createRedis(config, 'cache', log);
  const redisQueue = createRedis(config, 'queue', log);
  const kafka = createKafka(config, 'linkhop-api', log);
  const kafkaAdmin = kafka.admin({ retry: { retries: 0 } });
  const clickhouse = createClickHouse(config);
  const temporal = Connection.lazy({ address: config.TEMPORAL_ADDRESS, connectTimeout: 2000 });
  let accepting = true;
  const health = createHealthChecker({ pool, redisCache, redisQueue, kafkaAdmin, clickhouse, temporal });

  const deps: AppDeps = { config, log, pool, db, redisCache, redisQueue, health, isAccepting: () => accepting };
  return {
    deps,
    stopAccepting: () => {
      accepting = false;
    },
    close: async () => {
      await Promise.allSettled([
        pool.end(),
        redisCache.quit(),
        redisQueue.quit(),
        kafkaAdmin.disconnect(),
        clickhouse.close(),
        temporal.close(),
      ]);
    },
  };
}
