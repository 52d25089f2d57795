/**
 * The API side of the click log. send() only appends to memory; a pump packs what arrived since its last
 * round (one linger window) into one record per partition (format clicks.v2, queues/click-record.ts) and
 * sends them with an idempotent producer (acks=all). A record's id is fixed when it is packed: a failed send
 * puts the same record into the Redis fallback stream, and the drainer sends it again under that id, so the
 * counting group can drop a copy that did land. If Redis fails too the record stays in memory (bounded; what
 * is dropped is counted) and is retried. The redirect never waits for any of it.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Kafka, RecordMetadata } from 'kafkajs';
import {
  clicksDropped,
  clicksFallbackBuffered,
  clicksInMemory,
  clicksProduced,
} from '../observability/click-metrics';
import type { Logger } from '../observability/logger';
import { appendFallback, type PackedRecord } from './click-fallback';
import { packClicks, recordHeaders, recordIdText, type Click } from './click-record';
import { partitionOfKey } from './kafka-partition';
import { createSafeProducer } from './kafka-producer';
import type { ClickKeys } from './names';

export interface ClickProducerDeps<T> {
  kafka: Kafka;
  /** A fail-fast queue Redis client (no offline queue), so a Redis outage is noticed at once. */
  redis: Redis;
  keys: ClickKeys;
  topic: string;
  log: Logger;
  /** Turns what the redirect recorded into a click; runs in the pump, never in the request's tick. */
  toClick: (input: T) => Click;
  /** Partitions assumed until the topic's metadata has been read. */
  partitions: number;
  lingerMs: number;
  /** Clicks per record at most (and the pending size that sends at once, without lingering). */
  batchSize: number;
  maxBuffered: number;
  fallbackMaxEntries: number;
}

export interface ClickProducer<T> {
  send(input: T): void;
  /** Resolves once everything recorded so far is in Kafka or the fallback stream, or after `timeoutMs` (8 s). */
  flush(timeoutMs?: number): Promise<void>;
  /** Per partition, the offset of the last record this process wrote to Kafka itself. */
  producedOffsets(): ReadonlyMap<number, string>;
  /** Clicks held in memory (not yet in Kafka or the fallback stream); send() drops clicks at `maxBuffered`. */
  buffered(): number;
  /** Flushes, then disconnects. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// A record's value stays well under the broker's 1 MB message limit even with 1 KB user agents, and one
// send carries at most this much per partition (Kafka bounds a partition's record batch the same way).
const MAX_RECORD_BYTES = 256 * 1024;
const MAX_SEND_BYTES_PER_PARTITION = 768 * 1024;
const CLICK_OVERHEAD_BYTES = 40;
const PACK_SLICE = 100;

/** Builds the packing producer; Kafka is connected lazily by the first record. */
export function createClickProducer<T>(deps: ClickProducerDeps<T>): ClickProducer<T> {
  const { log } = deps;
  // 72 random bits: two processes never share an id, so (producer, seq) names a record uniquely.
  const producerId = randomBytes(9).toString('base64url');
  let seq = 0;
  let pending: T[] = [];
  let outbox: PackedRecord[] = [];
  let outboxClicks = 0;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  // Few retries: after that the record is safe in Redis, and the redirect path keeps its memory small.
  const producer = createSafeProducer(deps.kafka, { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 });
  let partitions = deps.partitions;
  let partitionsKnown = false;
  let kafkaDownUntil = 0;
  let kafkaBackoffMs = 500;
  let closed = false;
  const offsets = new Map<number, string>();

  const readPartitions = async () => {
    const admin = deps.kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: [deps.topic] });
      const n = meta.topics[0]?.partitions.length ?? 0;
      if (n > 0) partitions = n;
      partitionsKnown = true;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  // Clicks taken from `pending` by a pack still in progress: still in memory, so they count.
  let packing = 0;
  const buffered = () => pending.length + packing + outboxClicks;

  // One pump round packs at most a full record per partition, and gives the event loop back every
  // PACK_SLICE clicks and after every record: packing costs about 10 us per click (the visitor HMAC most
  // of it), so a backlog packed in one go (after a Kafka stall, or a sender outrunning the pump) would hold
  // the loop, and every redirect of the process, for about 100 ms per 10,000 clicks. Even one linger
  // window's clicks at 10,000 redirects/s take 5 ms: a redirect arriving meanwhile would wait that long, so
  // the slice is 100 clicks (about 1 ms); the yield itself costs a few microseconds.
  const maxPack = () => deps.batchSize * partitions;
  const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** Packs the pending clicks (up to maxPack): one record per partition, split only when a record would grow too big. */
  const pack = async () => {
    let inputs = pending;
    if (inputs.length > maxPack()) {
      inputs = pending.slice(0, maxPack());
      pending = pending.slice(maxPack());
    } else {
      pending = [];
    }
    packing = inputs.length;
    const groups = new Map<number, Click[][]>();
    const sizes = new Map<number, number>();
    try {
      for (let i = 0; i < inputs.length; i++) {
        if (i > 0 && i % PACK_SLICE === 0) await yieldLoop();
        const click = deps.toClick(inputs[i]);
        const p = partitionOfKey(click.code, partitions);
        const chunks = groups.get(p) ?? groups.set(p, [[]]).get(p)!;
        const size = click.code.length + click.referrer.length + click.userAgent.length + CLICK_OVERHEAD_BYTES;
        let last = chunks[chunks.length - 1];
        if (last.length >= deps.batchSize || (sizes.get(p) ?? 0) + size > MAX_RECORD_BYTES) {
          last = [];
          chunks.push(last);
          sizes.set(p, 0);
        }
        last.push(click);
        sizes.set(p, (sizes.get(p) ?? 0) + size);
      }
      for (const [partition, chunks] of groups) {
        for (const clicks of chunks) {
          if (clicks.length >= PACK_SLICE) await yieldLoop();
          outbox.push({ id: recordIdText({ producer: producerId, seq: seq++ }), partition, clicks: clicks.length, value: packClicks(clicks) });
          outboxClicks += clicks.length;
          packing -= clicks.length;
        }
      }
    } finally {
      packing = 0;
    }
  };

  /** The next records to send: from the front of the outbox, within the per-partition byte bound. */
  const takeBatch = (): PackedRecord[] => {
    const bytes = new Map<number, number>();
    let n = 0;
    for (; n < outbox.length; n++) {
      const r = outbox[n];
      const after = (bytes.get(r.partition) ?? 0) + r.value.length;
      if (n > 0 && after > MAX_SEND_BYTES_PER_PARTITION) break;
      bytes.set(r.partition, after);
    }
    const batch = outbox.slice(0, n);
    outbox = outbox.slice(n);
    for (const r of batch) outboxClicks -= r.clicks;
    return batch;
  };

  const remember = (batch: readonly PackedRecord[], meta: RecordMetadata[]) => {
    for (const m of meta) {
      const records = batch.filter((r) => r.partition % partitions === m.partition).length;
      if (records === 0 || m.baseOffset === undefined) continue;
      offsets.set(m.partition, (BigInt(m.baseOffset) + BigInt(records - 1)).toString());
    }
  };

  const toKafka = async (batch: PackedRecord[]): Promise<boolean> => {
    if (Date.now() < kafkaDownUntil) return false;
    const clicks = batch.reduce((s, r) => s + r.clicks, 0);
    try {
      const meta = await producer.send({
        topic: deps.topic,
        messages: batch.map((r) => ({
          key: r.id,
          value: r.value,
          partition: r.partition % partitions,
          headers: recordHeaders(r.id),
        })),
      });
      remember(batch, meta);
      clicksProduced.inc({ via: 'direct' }, clicks);
      kafkaBackoffMs = 500;
      return true;
    } catch (err) {
      kafkaDownUntil = Date.now() + kafkaBackoffMs;
      kafkaBackoffMs = Math.min(kafkaBackoffMs * 2, 5000);
      // The topic may have gained partitions: read them again once Kafka answers.
      partitionsKnown = false;
      log.warn({ err: (err as Error).message, clicks }, 'kafka send failed; using the fallback stream');
      return false;
    }
  };

  const toFallback = async (batch: PackedRecord[]): Promise<boolean> => {
    const clicks = batch.reduce((s, r) => s + r.clicks, 0);
    try {
      if (await appendFallback(deps.redis, deps.keys, deps.fallbackMaxEntries, batch)) {
        clicksFallbackBuffered.inc(clicks);
        return true;
      }
      log.error({ clicks }, 'click fallback stream is full; keeping the records in memory');
    } catch (err) {
      log.error({ err: (err as Error).message, clicks }, 'click fallback stream unreachable');
    }
    return false;
  };

  const trimToBound = () => {
    // Whole records go, oldest first: the ones kept still carry the ids they were packed with.
    while (buffered() > deps.maxBuffered && outbox.length > 0) {
      const dropped = outbox.shift() as PackedRecord;
      outboxClicks -= dropped.clicks;
      clicksDropped.inc(dropped.clicks);
    }
  };

  const pump = async (): Promise<void> => {
    while (pending.length > 0 || outbox.length > 0) {
      if (!partitionsKnown && Date.now() >= kafkaDownUntil) await readPartitions().catch(() => undefined);
      if (pending.length > 0) await pack();
      const batch = takeBatch();
      if ((await toKafka(batch)) || (await toFallback(batch))) {
        clicksInMemory.set(buffered());
        continue;
      }
      // Nowhere to put it: back to the front, and wait before trying again.
      outbox = batch.concat(outbox);
      outboxClicks += batch.reduce((s, r) => s + r.clicks, 0);
      trimToBound();
      if (closed) return;
      await sleep(Math.max(kafkaDownUntil - Date.now(), 200));
    }
  };

  const startPump = (): Promise<void> => {
    timer = undefined;
    pumping ??= pump().finally(() => {
      pumping = undefined;
      clicksInMemory.set(buffered());
      // Clicks recorded while the last records were in flight.
      if (buffered() > 0 && !closed) schedule();
    });
    return pumping;
  };

  const schedule = () => {
    if (pumping) return; // the running pump packs whatever is pending
    if (pending.length >= deps.batchSize) {
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
    while (pumping || buffered() > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await Promise.race([pumping ?? startPump(), sleep(Math.min(left, 1000))]);
      if (closed && buffered() > 0 && !pumping) await sleep(200);
    }
  };

  return {
    send(input) {
      if (buffered() >= deps.maxBuffered) {
        clicksDropped.inc();
        return;
      }
      pending.push(input);
      schedule();
    },
    // Bounded, so a shutdown with Kafka and Redis both down still ends (close() then counts what is left).
    flush: (timeoutMs = 8000) => drain(Date.now() + timeoutMs),
    producedOffsets: () => offsets,
    buffered,
    async close() {
      // From here a failed send returns to drain() instead of sleeping in the pump.
      closed = true;
      await drain(Date.now() + 3000);
      if (buffered() > 0) {
        clicksDropped.inc(buffered());
        log.error({ clicks: buffered() }, 'clicks dropped at shutdown: neither Kafka nor Redis answered');
        pending = [];
        outbox = [];
        outboxClicks = 0;
      }
      await producer.disconnect();
    },
  };
}
