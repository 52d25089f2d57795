/**
 * The fallback for clicks that could not reach Kafka: a bounded Redis stream on the QUEUE Redis
 * (noeviction + AOF). Producers append the packed records of one send; the drainer in the consumer process
 * sends them to Kafka, under the record ids they were packed with, once it answers again and only then
 * acknowledges and deletes them. Entries of the one-click JSON format (field `m`, written before packed
 * records existed) are still drained, so an upgrade with entries waiting loses nothing.
 */
import type Redis from 'ioredis';
import type { Message } from 'kafkajs';
import type { Logger } from '../observability/logger';
import { parseRecordId, recordHeaders } from './click-record';
import type { ClickKeys } from './names';
import { redisScript } from './redis-script';

/** One packed record (format clicks.v2) as the producer built it. */
export interface PackedRecord {
  /** `<producer>.<seq>`, fixed at pack time */
  id: string;
  /** the partition it was packed for (its clicks' codes hash there) */
  partition: number;
  clicks: number;
  value: Buffer;
}

/** A stream entry of packed records: base64 values, so the entry stays a plain string field. */
interface StoredRecord {
  id: string;
  n: number;
  v: string;
}

/** The messages and click count of one stream entry, or an error for an entry that cannot be sent. */
export function entryMessages(fields: readonly string[]): { messages: Message[]; clicks: number } | { error: string } {
  const at = (name: string) => {
    const i = fields.findIndex((f, k) => k % 2 === 0 && f === name);
    return i >= 0 ? fields[i + 1] : undefined;
  };
  try {
    const packed = at('r');
    if (packed !== undefined) {
      const records = JSON.parse(packed) as StoredRecord[];
      if (!records.every((r) => parseRecordId(r.id))) return { error: 'fallback entry holds a malformed record id' };
      // No partition: the key (the record id) places it; the counting group needs only the id to dedupe.
      const messages = records.map((r) => ({ key: r.id, value: Buffer.from(r.v, 'base64'), headers: recordHeaders(r.id) }));
      return { messages, clicks: records.reduce((s, r) => s + r.n, 0) };
    }
    const legacy = at('m');
    if (legacy !== undefined) {
      const messages = JSON.parse(legacy) as { key: string; value: string }[];
      return { messages, clicks: messages.length };
    }
  } catch {
    return { error: 'fallback entry is not JSON' };
  }
  return { messages: [], clicks: 0 };
}

// XADD MAXLEN would silently discard the OLDEST batches; refusing the new one instead keeps the loss
// visible (the producer keeps it in memory and counts what it finally drops).
const boundedXadd = redisScript(`
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])`);

const boundedXaddRecords = redisScript(`
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'r', ARGV[2])`);

/** Appends the records of one send; resolves false when the stream is full. Rejects when Redis is unreachable. */
export async function appendFallback(
  redis: Redis,
  keys: ClickKeys,
  maxEntries: number,
  records: readonly PackedRecord[],
): Promise<boolean> {
  const stored: StoredRecord[] = records.map((r) => ({ id: r.id, n: r.clicks, v: r.value.toString('base64') }));
  const id = await boundedXaddRecords(redis, [keys.fallback], [maxEntries, JSON.stringify(stored)]);
  return id !== null;
}

/** Appends one-click JSON messages as the previous producer did (tests of the upgrade path use it). */
export async function appendLegacyFallback(
  redis: Redis,
  keys: ClickKeys,
  maxEntries: number,
  batch: readonly { key: string; value: string }[],
): Promise<boolean> {
  const id = await boundedXadd(redis, [keys.fallback], [maxEntries, JSON.stringify(batch)]);
  return id !== null;
}

export interface DrainerDeps {
  /** A connection of its own: XREADGROUP BLOCK holds it. */
  redis: Redis;
  keys: ClickKeys;
  consumerName: string;
  log: Logger;
  /** Sends one entry's messages to Kafka (`clicks` for metrics); rejects when Kafka is unreachable. */
  send: (messages: Message[], clicks: number) => Promise<void>;
  /** An entry another drainer read but never acknowledged is taken over after this long. */
  claimIdleMs?: number;
  retryDelayMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the drain loop; the returned function stops it and waits for the batch in flight. */
export function startFallbackDrainer(deps: DrainerDeps): { stop: () => Promise<void>; drained: () => number } {
  const { redis, keys, consumerName, log } = deps;
  const claimIdleMs = deps.claimIdleMs ?? 30_000;
  const retryDelayMs = deps.retryDelayMs ?? 1000;
  let running = true;
  let drained = 0;

  const ensureGroup = async () => {
    try {
      await redis.xgroup('CREATE', keys.fallback, keys.fallbackGroup, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  };

  /** Sends, acknowledges and deletes entries in order; stops at the first failed send. */
  const handle = async (entries: StreamEntry[]): Promise<boolean> => {
    for (const [id, fields] of entries) {
      const entry = entryMessages(fields);
      // Only a corrupted entry fails here; keeping it would block the stream forever, so say so and drop it.
      if ('error' in entry) log.error({ entry: id, error: entry.error }, 'fallback entry dropped');
      else if (entry.messages.length) await deps.send(entry.messages, entry.clicks);
      // XACK then XDEL: a crash in between leaves an acknowledged entry that nobody re-sends.
      await redis.multi().xack(keys.fallback, keys.fallbackGroup, id).xdel(keys.fallback, id).exec();
      if (!('error' in entry)) drained += entry.clicks;
    }
    return entries.length > 0;
  };

  const once = async (): Promise<void> => {
    // 1. entries this consumer read before but failed to send, 2. entries abandoned by a dead drainer, 3. new.
    const own = (await redis.xreadgroup(
      'GROUP', keys.fallbackGroup, consumerName, 'COUNT', 20, 'STREAMS', keys.fallback, '0',
    )) as [string, StreamEntry[]][] | null;
    if (own && (await handle(own[0][1]))) return;
    const claimed = (await redis.xautoclaim(
      keys.fallback, keys.fallbackGroup, consumerName, claimIdleMs, '0', 'COUNT', 20,
    )) as [string, StreamEntry[]];
    if (await handle(claimed[1].filter((e) => e[1] !== null))) return;
    const fresh = (await redis.xreadgroup(
      'GROUP', keys.fallbackGroup, consumerName, 'COUNT', 20, 'BLOCK', 1000, 'STREAMS', keys.fallback, '>',
    )) as [string, StreamEntry[]][] | null;
    if (fresh) await handle(fresh[0][1]);
  };

  const loop = (async () => {
    let lastWarn = 0;
    while (running) {
      try {
        await ensureGroup();
        while (running) await once();
      } catch (err) {
        if (Date.now() - lastWarn > 5000) {
          lastWarn = Date.now();
          log.warn({ err: (err as Error).message }, 'fallback drain paused; retrying');
        }
        await sleep(retryDelayMs);
      }
    }
  })();

  return {
    drained: () => drained,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
