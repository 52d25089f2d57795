/**
 * The click consumer process (any number may run): the counting group aggregates clicks into Redis, the
 * analytics group writes raw rows to ClickHouse, the drainer moves fallback batches back into Kafka, and
 * a monitor publishes consumer lag. Each part survives its dependency going away and coming back.
 */
import { hostname } from 'node:os';
import type { Consumer } from 'kafkajs';
import { runClickhouseMigrations } from '../db/clickhouse/schema';
import { createClickLedger } from './click-ledger';
import { closeRedis, createClickHouse, createKafka, createRedis } from '../infra/clients';
import { loadConfig } from '../infra/config';
import { Shutdown } from '../infra/shutdown';
import { exitOnStartupFailure } from '../infra/startup';
import { clicksProduced } from '../observability/click-metrics';
import { createLogger, readyLogger, type Logger } from '../observability/logger';
import { serveMetrics } from '../observability/metrics-server';
import { startAnalyticsGroup } from './click-consumer/analytics-group';
import { startCounterGroup } from './click-consumer/counter-group';
import { createDeadLetter } from './click-consumer/dead-letter';
import { startLagMonitor } from './click-consumer/lag';
import { startFallbackDrainer } from './click-fallback';
import { createSafeProducer } from './kafka-producer';
import { clickKeys, deploymentNames } from './names';
import { ensureTopics } from './topics';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A consumer that is started again (in this process) whenever kafkajs gives up on it. */
interface ResilientConsumer {
  disconnect(): Promise<void>;
}

/**
 * Retries `start` until it succeeds (Kafka may still be starting). When kafkajs gives up on a consumer
 * (a crash it will not restart itself), the consumer is disconnected and started again, so a long broker
 * outage never leaves the process running without consumers.
 */
async function startResilient(name: string, log: Logger, start: () => Promise<Consumer>): Promise<ResilientConsumer> {
  let current: Consumer | undefined;
  let stopped = false;
  const launch = async (): Promise<void> => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        const consumer = await start();
        current = consumer;
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (payload.restart || stopped) return;
          log.error({ err: payload.error.message, consumer: name }, 'consumer crashed without restart; starting it again');
          void consumer
            .disconnect()
            .catch(() => undefined)
            .then(() => launch());
        });
        log.info({ consumer: name }, 'consumer running');
        return;
      } catch (err) {
        log.warn({ err: (err as Error).message, consumer: name, attempt }, 'consumer start failed; retrying');
        await sleep(Math.min(1000 * attempt, 10_000));
      }
    }
  };
  await launch();
  return {
    disconnect: async () => {
      stopped = true;
      await current?.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('click-consumer', config.LOG_LEVEL);
  const names = deploymentNames(config);
  const keys = clickKeys(names.clickKeyPrefix);
  const kafka = createKafka(config, 'linkhop-click-consumer', log);
  const redisQueue = createRedis(config, 'queue', log);
  const redisDrain = createRedis(config, 'queue', log);
  const clickhouse = createClickHouse(config);
  const producer = createSafeProducer(kafka, { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 });
  const closeMetrics = await serveMetrics(config);

  const shutdown = new Shutdown(log, 20_000);
  shutdown.add('servers', 'metrics', closeMetrics);
  shutdown.installSignalHandlers();

  await ensureTopics(kafka, config).catch((err: unknown) =>
    log.warn({ err: (err as Error).message }, 'could not check the click topics; the consumers will wait for them'),
  );
  const ledger = createClickLedger({ redis: redisQueue, keys, dedupTtlSeconds: config.INGESTION_DEDUP_TTL_SECONDS });
  let migrated: Promise<number> | undefined;
  const deadLetter = createDeadLetter(producer, names.deadLetterTopic, names.group);
  const [counters, analytics] = await Promise.all([
    startResilient('counters', log, () =>
      startCounterGroup({ kafka, topic: names.clickTopic, group: names.group, ledger, deadLetter, log }),
    ),
    startResilient('analytics', log, async () => {
      // Rows carry the enriched columns: the schema must be current before the first insert.
      migrated ??= runClickhouseMigrations(config).catch((err: unknown) => {
        migrated = undefined;
        throw err;
      });
      await migrated;
      return startAnalyticsGroup({
        kafka,
        clickhouse,
        topic: names.clickTopic,
        group: names.analyticsGroup,
        partitions: config.KAFKA_TOPIC_PARTITIONS,
      });
    }),
  ]);
  const drainer = startFallbackDrainer({
    redis: redisDrain,
    keys,
    consumerName: `${hostname()}-${process.pid}`,
    log,
    send: async (messages, clicks) => {
      await producer.send({ topic: names.clickTopic, messages });
      clicksProduced.inc({ via: 'fallback' }, clicks);
    },
    claimIdleMs: 10_000,
  });
  const stopLag = startLagMonitor(kafka.admin(), names.clickTopic, [names.group, names.analyticsGroup], log);

  shutdown.add('workers', 'consumers', () => Promise.allSettled([counters.disconnect(), analytics.disconnect()]));
  shutdown.add('workers', 'drainer', () => drainer.stop());
  shutdown.add('queues', 'producer', () => producer.disconnect());
  shutdown.add('connections', 'clients', () => {
    stopLag();
    return Promise.allSettled([closeRedis(redisQueue), closeRedis(redisDrain), clickhouse.close()]);
  });
  readyLogger(log).info({ topic: names.clickTopic, group: names.group }, 'click consumer running');
}

main().catch(exitOnStartupFailure('click consumer'));
