/** The API's ClickSink: clicks go to the Kafka click log; counts come from the click ledger. */
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Config } from '../infra/config';
import type { Logger } from '../observability/logger';
import { toClick } from './click-event';
import { createClickProducer } from './click-producer';
import { createClickLedger } from './click-ledger';
import { clickKeys, deploymentNames, kafkaNames } from './names';

/** One click as the redirect path sees it; the sink records it after the response is sent. */
export interface ClickInput {
  shortCode: string;
  /** epoch milliseconds: a number costs nothing to build, copy or pack */
  at: number;
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
  /**
   * Read-your-own-clicks: resolves once every click this process recorded before the call is counted by the
   * ledger (sent, then aggregated by the counting group), or after `timeoutMs`, whichever comes first.
   */
  settle(timeoutMs?: number): Promise<void>;
}

/** Per partition, the offset a process's clicks reached (decimal strings, so they cross IPC as they are). */
export type ClickOffsets = Array<[partition: number, offset: string]>;

export interface KafkaClickSink extends ClickSink {
  /** Flushes what is in memory, then disconnects from Kafka. */
  close(): Promise<void>;
  /** Sends what is buffered (waiting up to `timeoutMs`), then the offsets this process's clicks reached. */
  flushedOffsets(timeoutMs: number): Promise<ClickOffsets>;
}

export interface ClickSinkDeps {
  config: Config;
  log: Logger;
  kafka: Kafka;
  /** The QUEUE Redis, failing fast (no offline queue): record() must never wait on it. */
  redisQueue: Redis;
  pool: Pool;
  /**
   * What settle() waits for, when more than this process answers on the port (API_WORKERS > 1): the
   * offsets every process's clicks reached, each flushed first. Default: this process's own.
   */
  settleTargets?: (timeoutMs: number) => Promise<ClickOffsets>;
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
  const { clickTopic, group } = kafkaNames(config);
  // Per partition, the offset the counting group was last seen to have aggregated: a stats read after
  // no new clicks of this process asks Redis nothing.
  const settled = new Map<number, bigint>();
  const isSettled = (want: ReadonlyArray<readonly [number, bigint]>) => want.every(([p, o]) => (settled.get(p) ?? -1n) >= o);

  // Also waits for a send already in flight: its offsets are not known until the broker answers.
  const flushedOffsets = async (timeoutMs: number): Promise<ClickOffsets> => {
    await producer.flush(timeoutMs);
    return [...producer.producedOffsets()].map(([p, o]) => [p, String(o)]);
  };

  const settle = async (timeoutMs = 1000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const targets = await (deps.settleTargets ?? flushedOffsets)(timeoutMs);
    const want = targets.map(([p, o]) => [p, BigInt(o)] as const);
    if (isSettled(want)) return;
    while (Date.now() < deadline) {
      const applied = await ledger.appliedOffsets(group, clickTopic, want.map(([p]) => p));
      want.forEach(([p], i) => {
        const a = applied[i];
        if (a !== null && a > (settled.get(p) ?? -1n)) settled.set(p, a);
      });
      if (isSettled(want)) return;
      // The consumer aggregates a fetched batch in a few milliseconds: poll at about that pace.
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  return {
    record: (click) => producer.send(click),
    settle,
    totalClicks: async (code) => (await ledger.read(code))?.total ?? null,
    flush: () => producer.flush(),
    flushedOffsets,
    close: () => producer.close(),
  };
}
