/**
 * createKeygen: the API's CodeSource. Codes come from a local pool of ID blocks; below the low watermark a
 * refill is queued for the keygen worker, and when the queue is down or slow the block is reserved straight
 * from PostgreSQL. Every block comes from the PostgreSQL allocator either way, so no path can repeat an ID.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { QueueEvents } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- the last back edge: keygen gets its own error type, mapped to 503 by the route
import { unavailable } from '../../api/errors';
import type { Config } from '../../infra/config';
import type { Logger } from '../../observability/logger';
import { KEYGEN_REFILL_JOB } from '../names';
import { createAllocator, isIdBlock, type IdBlock } from './allocator';
import { createCodec } from './codec';
import { blocksReserved, refillDuration, refillFailures, trackPoolLevel, type BlockSource } from './metrics';
import { createIdPool } from './pool';
import { refillJobId, type KeygenQueue } from './queue';

/** Hands out generated short codes. */
export interface CodeSource {
  /** The next unused generated code; never returns the same code twice across processes. */
  nextCode(): Promise<string>;
}

export type KeygenConfig = Pick<
  Config,
  'SHORT_CODE_KEY' | 'ID_BLOCK_SIZE' | 'ID_ALLOCATOR_KEY' | 'KEYGEN_LOW_WATERMARK' | 'KEYGEN_REFILL_TIMEOUT_MS'
>;

export interface KeygenDeps {
  config: KeygenConfig;
  log: Logger;
  /** PostgreSQL, for the direct fallback. */
  pool: Pool;
  queue: KeygenQueue;
  events: QueueEvents;
  /** The queue Redis the queue was built on: a refill is only queued while it is connected. */
  queueRedis: Redis;
  /** After a queued refill fails, blocks come straight from PostgreSQL for this long (default 5 s). */
  queueCooldownMs?: number;
}

export interface KeygenStats {
  processId: string;
  available: number;
  issued: number;
  blocks: Record<BlockSource, number>;
  failures: Record<BlockSource, number>;
}

export type Keygen = CodeSource & { start(): Promise<void>; close(): Promise<void>; stats(): KeygenStats };

/** Settles like `p`, or rejects after `ms`; `p` keeps a handler either way, so a late rejection is not unhandled. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** Builds the keygen of one process; call start() to fill the pool before the first create. */
export function createKeygen(deps: KeygenDeps): Keygen {
  const { config, log } = deps;
  const codec = createCodec(config.SHORT_CODE_KEY);
  const allocator = createAllocator({ pool: deps.pool, key: config.ID_ALLOCATOR_KEY });
  const ids = createIdPool();
  const size = config.ID_BLOCK_SIZE;
  const lowWater = Math.ceil(config.KEYGEN_LOW_WATERMARK * size);
  const timeoutMs = config.KEYGEN_REFILL_TIMEOUT_MS;
  const cooldownMs = deps.queueCooldownMs ?? 5000;
  // Unique per process lifetime (the random part covers pid reuse), and free of ':' as BullMQ job ids need.
  const processId = `${hostname().replace(/[^\w.-]/g, '_')}-${process.pid}-${randomUUID().slice(0, 8)}`;

  const stats = { issued: 0, blocks: { queue: 0, direct: 0 }, failures: { queue: 0, direct: 0 } };
  let seq = 0;
  let queueDownUntil = 0;
  let inflight: Promise<void> | undefined;
  let closed = false;
  let untrack: (() => void) | undefined;

  const viaQueue = async (): Promise<IdBlock> => {
    seq += 1;
    const job = await deps.queue.add(
      KEYGEN_REFILL_JOB,
      { processId, seq, size },
      { jobId: refillJobId(processId, seq) },
    );
    const result: unknown = await job.waitUntilFinished(deps.events, timeoutMs);
    if (!isIdBlock(result) || result.end - result.start !== size) {
      throw new Error(`refill job ${job.id} returned ${JSON.stringify(result)}`);
    }
    return result;
  };

  const attempt = async (source: BlockSource, fn: () => Promise<IdBlock>): Promise<IdBlock> => {
    const stop = refillDuration.startTimer({ source });
    try {
      const block = await fn();
      stop();
      blocksReserved.inc({ source });
      stats.blocks[source] += 1;
      return block;
    } catch (err) {
      refillFailures.inc({ source });
      stats.failures[source] += 1;
      throw err;
    }
  };

  const obtainBlock = async (): Promise<IdBlock> => {
    // Only queue while the queue Redis is connected; otherwise the add would sit in ioredis's offline queue.
    if (Date.now() >= queueDownUntil && deps.queueRedis.status === 'ready') {
      try {
        return await attempt('queue', () => withTimeout(viaQueue(), timeoutMs, 'queued refill'));
      } catch (err) {
        queueDownUntil = Date.now() + cooldownMs;
        log.warn({ err: (err as Error).message, cooldownMs }, 'keygen: queued refill failed; reserving from PostgreSQL');
      }
    }
    try {
      return await attempt('direct', () => allocator.reserve(size));
    } catch (err) {
      log.error({ err: (err as Error).message }, 'keygen: PostgreSQL allocator unreachable');
      throw unavailable('Short code generator unavailable');
    }
  };

  // One refill at a time; every caller waiting on an empty pool shares it.
  const refill = (): Promise<void> => {
    inflight ??= obtainBlock()
      .then((block) => {
        if (!closed) ids.add(block);
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const refillInBackground = (): void => {
    refill().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'keygen: background refill failed'));
  };

  return {
    async nextCode() {
      for (;;) {
        if (closed) throw unavailable('Short code generator unavailable');
        const id = ids.take();
        if (id !== undefined) {
          if (!inflight && ids.available() <= lowWater) refillInBackground();
          stats.issued += 1;
          return codec.encode(id);
        }
        // Empty pool: wait for the refill; if both the queue and PostgreSQL fail this rejects with 503.
        await refill();
      }
    },

    async start() {
      untrack ??= trackPoolLevel(() => ids.available());
      // Give the queue connection a moment to come up, so that the first block is queued like the rest.
      await withTimeout(deps.queue.waitUntilReady(), timeoutMs, 'queue connection').catch(() => undefined);
      // A failed first fill is logged, not thrown: the process may start before its dependencies, and
      // nextCode retries the refill (or answers 503) on demand.
      await refill().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'keygen: initial fill failed'));
    },

    async close() {
      closed = true;
      untrack?.();
      await inflight?.catch(() => undefined);
      ids.drain();
    },

    stats: () => ({
      processId,
      available: ids.available(),
      issued: stats.issued,
      blocks: { ...stats.blocks },
      failures: { ...stats.failures },
    }),
  };
}
