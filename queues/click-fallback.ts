/**
 * The fallback for clicks that could not reach Kafka: a bounded Redis stream on the QUEUE Redis
 * (noeviction + AOF). Producers append whole batches; the drainer in the consumer process sends them
 * to Kafka once it answers again and only then acknowledges and deletes them.
 */
import type Redis from 'ioredis';
import type { Logger } from '../observability/logger';
import type { ClickKeys } from './names';
import { redisScript } from './redis-script';

/** One Kafka message as the producer built it. */
export interface ClickMessage {
  key: string;
  value: string;
}

// XADD MAXLEN would silently discard the OLDEST batches; refusing the new one instead keeps the loss
// visible (the producer keeps it in memory and counts what it finally drops).
const boundedXadd = redisScript(`
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])`);

/** Appends one batch; resolves false when the stream is full. Rejects when Redis is unreachable. */
export async function appendFallback(
  redis: Redis,
  keys: ClickKeys,
  maxEntries: number,
  batch: readonly ClickMessage[],
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
  /** Sends one batch to Kafka; rejects when Kafka is unreachable. */
  send: (batch: ClickMessage[]) => Promise<void>;
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
      const raw = fields[fields.indexOf('m') + 1];
      const batch = raw ? (JSON.parse(raw) as ClickMessage[]) : [];
      if (batch.length) await deps.send(batch);
      // XACK then XDEL: a crash in between leaves an acknowledged entry that nobody re-sends.
      await redis.multi().xack(keys.fallback, keys.fallbackGroup, id).xdel(keys.fallback, id).exec();
      drained += batch.length;
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
