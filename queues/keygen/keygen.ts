/**
 * createKeygen: the API's CodeSource. Codes come from a local pool of ID blocks. Below the low watermark
 * the pool pops the next block from the reserve list the keygen worker keeps topped up (one Redis round
 * trip); when the list is empty or the queue Redis is unreachable it reserves a block from PostgreSQL
 * itself (one statement). It never waits on a job: when the list runs low it adds the low-watermark job
 * and moves on. Every block comes from the PostgreSQL allocator either way, so no path can repeat an ID.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../../infra/config';
import type { Logger } from '../../observability/logger';
import { deploymentNames, type NameConfig } from '../names';
import { createAllocator, type IdBlock } from './allocator';
import { popBlock } from './blocks';
import { createCodec } from './codec';
import { KeygenUnavailableError } from './errors';
import { blocksReserved, refillDuration, refillFailures, trackPoolLevel, type BlockSource } from './metrics';
import { createIdPool } from './pool';
import { addLowWatermarkJob, type KeygenQueue } from './queue';

/** Hands out generated short codes. */
export interface CodeSource {
  /** The next unused generated code; never the same code twice across processes. Rejects with KeygenUnavailableError. */
  nextCode(): Promise<string>;
}

export type KeygenConfig = NameConfig &
  Pick<Config, 'SHORT_CODE_KEY' | 'ID_BLOCK_SIZE' | 'ID_ALLOCATOR_KEY' | 'KEYGEN_LOW_WATERMARK' | 'KEYGEN_RESERVE_BLOCKS'>;

export interface KeygenDeps {
  config: KeygenConfig;
  log: Logger;
  /** PostgreSQL, for a direct reservation when the list is empty. */
  pool: Pool;
  /** Where the low-watermark job goes. */
  queue: KeygenQueue;
  /**
   * The queue Redis holding the block list: a client that fails fast (no offline queue, a command timeout),
   * so an unreachable Redis costs a create at most that timeout before the direct reservation.
   */
  listRedis: Redis;
}

export interface KeygenStats {
  processId: string;
  available: number;
  issued: number;
  blocks: Record<BlockSource, number>;
  failures: Record<BlockSource, number>;
  /** Low-watermark jobs this process added. */
  refillsRequested: number;
}

export type Keygen = CodeSource & { start(): Promise<void>; close(): Promise<void>; stats(): KeygenStats };

/** Builds the keygen of one process; call start() to fill the pool before the first create. */
export function createKeygen(deps: KeygenDeps): Keygen {
  const { config, log } = deps;
  const codec = createCodec(config.SHORT_CODE_KEY);
  const allocator = createAllocator({ pool: deps.pool, key: config.ID_ALLOCATOR_KEY });
  const listKey = deploymentNames(config).keygenBlocks;
  const ids = createIdPool();
  const size = config.ID_BLOCK_SIZE;
  const lowWater = Math.ceil(config.KEYGEN_LOW_WATERMARK * size);
  const listLowWater = Math.ceil(config.KEYGEN_LOW_WATERMARK * config.KEYGEN_RESERVE_BLOCKS);
  const processId = `${hostname().replace(/[^\w.-]/g, '_')}-${process.pid}-${randomUUID().slice(0, 8)}`;

  const stats = { issued: 0, refillsRequested: 0, blocks: { queue: 0, direct: 0 }, failures: { queue: 0, direct: 0 } };
  let inflight: Promise<void> | undefined;
  let requesting = false;
  let closed = false;
  let untrack: (() => void) | undefined;

  // Fire and forget: one add at a time, and only while the queue Redis is connected (an add made while it is
  // down would wait in ioredis's offline queue). A refill already pending makes the add a no-op.
  const requestRefill = (): void => {
    if (requesting || deps.listRedis.status !== 'ready') return;
    requesting = true;
    stats.refillsRequested += 1;
    addLowWatermarkJob(deps.queue)
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'keygen: could not add the low-watermark job'))
      .finally(() => {
        requesting = false;
      });
  };

  const timed = async (source: BlockSource, fn: () => Promise<IdBlock | undefined>): Promise<IdBlock | undefined> => {
    const stop = refillDuration.startTimer({ source });
    try {
      const block = await fn();
      stop();
      if (block) {
        blocksReserved.inc({ source });
        stats.blocks[source] += 1;
      }
      return block;
    } catch (err) {
      refillFailures.inc({ source });
      stats.failures[source] += 1;
      throw err;
    }
  };

  const fromList = async (): Promise<IdBlock | undefined> => {
    if (deps.listRedis.status !== 'ready') return undefined;
    try {
      return await timed('queue', async () => {
        const { block, left } = await popBlock(deps.listRedis, listKey);
        if (left < listLowWater) requestRefill();
        return block;
      });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'keygen: block list unreachable; reserving from PostgreSQL');
      return undefined;
    }
  };

  const obtainBlock = async (): Promise<IdBlock> => {
    const listed = await fromList();
    if (listed) return listed;
    // The list is empty (worker down, Redis flushed) or unreachable: one statement of our own.
    requestRefill();
    try {
      const block = await timed('direct', () => allocator.reserve(size));
      if (block) return block;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'keygen: PostgreSQL allocator unreachable');
      throw new KeygenUnavailableError(undefined, { cause: err });
    }
    throw new KeygenUnavailableError();
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
        if (closed) throw new KeygenUnavailableError();
        const id = ids.take();
        if (id !== undefined) {
          if (!inflight && ids.available() <= lowWater) refillInBackground();
          stats.issued += 1;
          return codec.encode(id);
        }
        // Empty pool: one pop, or one PostgreSQL statement if the list is empty; rejects when both fail.
        await refill();
      }
    },

    async start() {
      untrack ??= trackPoolLevel(() => ids.available());
      // A failed first fill is logged, not thrown: the process may start before its dependencies, and
      // nextCode retries the refill (or rejects) on demand.
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
      refillsRequested: stats.refillsRequested,
      blocks: { ...stats.blocks },
      failures: { ...stats.failures },
    }),
  };
}
