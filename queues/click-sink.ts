/** The API's ClickSink: clicks go to the Kafka click log; counts come from the click ledger. */
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Config } from '../infra/config';
import type { Logger } from '../observability/logger';
import { toClick } from './click-event';
import { createClickProducer } from './click-producer';
import { createClickLedger } from './click-ledger';
import { clickKeys, deploymentNames } from './names';

/** One click as the redirect path sees it; the sink records it after the response is sent. */
export interface ClickInput {
  shortCode: string;
  at: Date;
  referrer: string;
  userAgent: string;
  ip: string;
}

/** Where clicks go, and how many of a link's clicks are not yet in PostgreSQL's counter. */
export interface ClickSink {
  /** Records a click without waiting on any I/O (batched behind the scenes). */
  record(click: ClickInput): void;
  /** Sends what is buffered in memory (used at shutdown and by tests). */
  flush(): Promise<void>;
  /** urls.clicks plus every click not yet flushed, read consistently by the click ledger; null for an unknown link. */
  totalClicks(code: string): Promise<number | null>;
}

export interface KafkaClickSink extends ClickSink {
  /** Flushes what is in memory, then disconnects from Kafka. */
  close(): Promise<void>;
}

export interface ClickSinkDeps {
  config: Config;
  log: Logger;
  kafka: Kafka;
  /** The QUEUE Redis, failing fast (no offline queue): record() must never wait on it. */
  redisQueue: Redis;
  pool: Pool;
}

/** Builds the sink the API records redirects into. */
export function createClickSink(deps: ClickSinkDeps): KafkaClickSink {
  const { config } = deps;
  const keys = clickKeys(deploymentNames(config).clickKeyPrefix);
  const hashKey = config.VISITOR_HASH_KEY ?? config.SHORT_CODE_KEY;
  const producer = createClickProducer<ClickInput>({
    kafka: deps.kafka,
    redis: deps.redisQueue,
    keys,
    topic: deploymentNames(config).clickTopic,
    log: deps.log.child({ component: 'click-producer' }),
    // The visitor HMAC runs in the pump: the redirect's own tick only appends the raw click.
    toClick: (click) => toClick(click, hashKey),
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    lingerMs: config.CLICK_PRODUCER_LINGER_MS,
    batchSize: config.CLICK_PRODUCER_BATCH_SIZE,
    maxBuffered: config.CLICK_PRODUCER_MAX_BUFFERED,
    fallbackMaxEntries: config.CLICK_FALLBACK_MAX_ENTRIES,
  });
  const ledger = createClickLedger({ redis: deps.redisQueue, pool: deps.pool, keys });
  return {
    record: (click) => producer.send(click),
    totalClicks: async (code) => (await ledger.read(code))?.total ?? null,
    flush: () => producer.flush(),
    close: () => producer.close(),
  };
}
