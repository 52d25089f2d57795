/** Builds the API's dependencies from config: used by server.ts and by the integration tests alike. */
import { closeRedis, createClickHouse, createKafka, createRedis, createTemporalHealth } from '../infra/clients';
import { createPg } from '../db/client';
import type { Config } from '../infra/config';
import { createHealthChecker } from '../infra/health';
import type { Logger } from '../observability/logger';
import { localMetrics } from '../observability/metrics';
import { createKeygenRuntime } from '../queues/keygen/runtime';
import { createClickSink, type ClickOffsets } from '../queues/click-sink';
import type { AppDeps } from './deps';
import { createAuthenticator } from './auth';
import { createLinkResolver } from './link-resolver';

export interface ApiRuntime {
  deps: AppDeps;
  /** Stops accepting (readiness turns 503) before the drain. */
  stopAccepting: () => void;
  /** Closes every connection this runtime opened. */
  close: () => Promise<void>;
  /** Flushes this process's clicks and reports their offsets (what a cluster primary asks each worker). */
  flushedOffsets: (timeoutMs: number) => Promise<ClickOffsets>;
}

/** What differs when the API runs as one of several processes on one port (api/cluster.ts). */
export interface ApiClusterHooks {
  settleTargets: (timeoutMs: number) => Promise<ClickOffsets>;
  metricsText: () => Promise<string>;
}

export function createApiRuntime(config: Config, log: Logger, cluster?: ApiClusterHooks): ApiRuntime {
  const { pool, db } = createPg(config, log);
  const redisCache = createRedis(config, 'cache', log);
  const redisQueue = createRedis(config, 'queue', log);
  const keygenRuntime = createKeygenRuntime(config, log, pool, redisQueue);
  const { keygen, queue: keygenQueue } = keygenRuntime;
  // Fills the first block in the background; start() never rejects (nextCode retries or answers 503).
  void keygen.start();
  const kafka = createKafka(config, 'linkhop-api', log);
  const kafkaAdmin = kafka.admin({ retry: { retries: 0 } });
  const clickhouse = createClickHouse(config);
  const temporal = createTemporalHealth(config);
  // Subscriber mode needs its own connection; it queues SUBSCRIBE until Redis is reachable.
  const redisEvictions = createRedis(config, 'cache', log, {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
    connectionName: 'linkhop-cache-evictions',
  });
  // The replaced system read cached links from a replica; keep honouring REDIS_REPLICA_URL when it is set.
  const redisReplica = config.REDIS_REPLICA_URL
    ? createRedis({ ...config, REDIS_URL: config.REDIS_REPLICA_URL }, 'cache', log)
    : undefined;
  const resolver = createLinkResolver({ config, log, db, redis: redisCache, readRedis: redisReplica, subscriber: redisEvictions });
  // Clicks go to Kafka; the fallback stream and the exact counts live on the queue Redis, read through a
  // client that gives up within a second so a Redis outage never holds a batch or a stats request for long.
  const redisClicks = createRedis(config, 'queue', log, {
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectionName: 'linkhop-clicks',
  });
  const clicks = createClickSink({ config, log, kafka, redisQueue: redisClicks, pool, settleTargets: cluster?.settleTargets });
  let accepting = true;
  const health = createHealthChecker({ pool, redisCache, redisQueue, kafkaAdmin, clickhouse, temporal });

  const auth = createAuthenticator({ config, db, log });
  const deps: AppDeps = { config, log, pool, db, redisCache, redisQueue, keygen, keygenQueue, clicks, clickhouse, resolver, auth, health, metricsText: cluster?.metricsText ?? localMetrics, isAccepting: () => accepting };
  return {
    deps,
    flushedOffsets: (timeoutMs) => clicks.flushedOffsets(timeoutMs),
    stopAccepting: () => {
      accepting = false;
    },
    close: async () => {
      await clicks.close().catch((err: unknown) => log.error({ err }, 'clicks not flushed at shutdown'));
      await keygenRuntime.close();
      temporal.close();
      await Promise.allSettled([
        pool.end(),
        closeRedis(redisCache),
        closeRedis(redisReplica),
        closeRedis(redisQueue),
        closeRedis(redisClicks),
        closeRedis(redisEvictions),
        kafkaAdmin.disconnect(),
        clickhouse.close(),
      ]);
    },
  };
}
