/**
 * The API side of the click log. record() only appends to memory; a pump sends batches to Kafka with an
 * idempotent producer (acks=all). A failed batch goes to the Redis fallback stream; if Redis fails too it
 * stays in memory (bounded; what is dropped is counted) and is retried. The redirect never waits for any of it.
 */
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import {
  clicksDropped,
  clicksFallbackBuffered,
  clicksInMemory,
  clicksProduced,
} from '../observability/click-metrics';
import type { Logger } from '../observability/logger';
import type { ClickEvent } from './click-event';
import { appendFallback, type ClickMessage } from './click-fallback';
import { createSafeProducer } from './kafka-producer';
import type { ClickKeys } from './names';

export interface ClickProducerDeps {
  kafka: Kafka;
  /** A fail-fast queue Redis client (no offline queue), so a Redis outage is noticed at once. */
  redis: Redis;
  keys: ClickKeys;
  topic: string;
  log: Logger;
  lingerMs: number;
  batchSize: number;
  maxBuffered: number;
  fallbackMaxEntries: number;
}

export interface ClickProducer {
  send(event: ClickEvent): void;
  /** Resolves once everything recorded so far is in Kafka or the fallback stream, or after 8 s of trying. */
  flush(): Promise<void>;
  /** Flushes, then disconnects. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds the batching producer; Kafka is connected lazily by the first batch. */
export function createClickProducer(deps: ClickProducerDeps): ClickProducer {
  const { log } = deps;
  let queue: ClickMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  // Few retries: after that the batch is safe in Redis, and the redirect path keeps its memory small.
  const producer = createSafeProducer(deps.kafka, { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 });
  let kafkaDownUntil = 0;
  let kafkaBackoffMs = 500;
  let closed = false;

  const toKafka = async (batch: ClickMessage[]): Promise<boolean> => {
    if (Date.now() < kafkaDownUntil) return false;
    try {
      await producer.send({ topic: deps.topic, messages: batch });
      clicksProduced.inc({ via: 'direct' }, batch.length);
      kafkaBackoffMs = 500;
      return true;
    } catch (err) {
      kafkaDownUntil = Date.now() + kafkaBackoffMs;
      kafkaBackoffMs = Math.min(kafkaBackoffMs * 2, 5000);
      log.warn({ err: (err as Error).message, clicks: batch.length }, 'kafka send failed; using the fallback stream');
      return false;
    }
  };

  const toFallback = async (batch: ClickMessage[]): Promise<boolean> => {
    try {
      if (await appendFallback(deps.redis, deps.keys, deps.fallbackMaxEntries, batch)) {
        clicksFallbackBuffered.inc(batch.length);
        return true;
      }
      log.error({ clicks: batch.length }, 'click fallback stream is full; keeping the batch in memory');
    } catch (err) {
      log.error({ err: (err as Error).message, clicks: batch.length }, 'click fallback stream unreachable');
    }
    return false;
  };

  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, deps.batchSize);
      queue = queue.slice(batch.length);
      if ((await toKafka(batch)) || (await toFallback(batch))) {
        clicksInMemory.set(queue.length);
        continue;
      }
      // Nowhere to put it: back to the front, and wait before trying again.
      queue = batch.concat(queue);
      trimToBound();
      if (closed) return;
      await sleep(Math.max(kafkaDownUntil - Date.now(), 200));
    }
  };

  const trimToBound = () => {
    if (queue.length <= deps.maxBuffered) return;
    const excess = queue.length - deps.maxBuffered;
    queue = queue.slice(excess);
    clicksDropped.inc(excess);
  };

  const startPump = (): Promise<void> => {
    timer = undefined;
    pumping ??= pump().finally(() => {
      pumping = undefined;
      clicksInMemory.set(queue.length);
      // Clicks recorded while the last batch was in flight.
      if (queue.length > 0 && !closed) schedule();
    });
    return pumping;
  };

  const schedule = () => {
    if (pumping) return; // the running pump takes whatever is queued
    if (queue.length >= deps.batchSize) {
      if (timer) clearTimeout(timer);
      void startPump();
    } else {
      // While Kafka is down, wait longer so fallback entries carry more clicks each.
      const linger = Date.now() < kafkaDownUntil ? Math.max(deps.lingerMs, 50) : deps.lingerMs;
      timer ??= setTimeout(() => void startPump(), linger);
    }
  };

  /** Pumps until memory is empty; after `deadline` it stops waiting (the pump goes on unless closed). */
  const drain = async (deadline: number): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (pumping || queue.length > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await Promise.race([pumping ?? startPump(), sleep(Math.min(left, 1000))]);
      if (closed && queue.length > 0 && !pumping) await sleep(200);
    }
  };

  return {
    send(event) {
      if (queue.length >= deps.maxBuffered) {
        clicksDropped.inc();
        return;
      }
      queue.push({ key: event.short_code, value: JSON.stringify(event) });
      schedule();
    },
    // Bounded, so a shutdown with Kafka and Redis both down still ends (close() then counts what is left).
    flush: () => drain(Date.now() + 8000),
    async close() {
      // From here a failed batch returns to drain() instead of sleeping in the pump.
      closed = true;
      await drain(Date.now() + 3000);
      if (queue.length > 0) {
        clicksDropped.inc(queue.length);
        log.error({ clicks: queue.length }, 'clicks dropped at shutdown: neither Kafka nor Redis answered');
        queue = [];
      }
      await producer.disconnect();
    },
  };
}
