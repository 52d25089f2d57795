/**
 * The activities of one click flush, thin callers of the click ledger (queues/click-ledger): snapshot,
 * apply, drop. A ledger refusal becomes a non-retryable failure of the same type. `invalidateLinks` only
 * serves flushes started before the flush stopped evicting cached links (see the workflow's patch).
 */
import { ApplicationFailure } from '@temporalio/common';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { linkCacheKey } from '../db/link-cache';
import { createClickLedger, LedgerError } from '../queues/click-ledger';
import type { ClickKeys } from '../queues/names';

export interface ClickFlushDeps {
  redisQueue: Redis;
  redisCache: Redis;
  pool: Pool;
  keys: ClickKeys;
  /** Tells API processes to drop these links from their in-memory LRU (old flushes only). */
  evictLinks?: (codes: string[]) => Promise<void>;
}

/** Runs a ledger step; its refusals are final, so Temporal must not retry them. */
async function step<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.type);
    throw err;
  }
}

/** Builds the flush activities over injected clients. */
export function createFlushActivities(deps: ClickFlushDeps) {
  const ledger = createClickLedger({ redis: deps.redisQueue, pool: deps.pool, keys: deps.keys });
  return {
    /** Moves the pending clicks aside under a new batch id, or returns the unfinished snapshot; null when idle. */
    snapshotClicks: () => step(() => ledger.snapshot()),
    /** Adds the snapshot's counts to urls.clicks, once per batch id. */
    applyClickBatch: (batchId: string) => step(() => ledger.apply(batchId)),
    /** Deletes the snapshot once its batch is in PostgreSQL. */
    dropClickSnapshot: (batchId: string) => step(() => ledger.drop(batchId)),

    /**
     * Deprecated: flushes recorded before the 'flush-keeps-cached-links' patch call it between apply and drop.
     * Deletes the flushed links' cached JSON and evicts them from API LRUs, as those flushes did.
     */
    async invalidateLinks(batchId: string): Promise<{ invalidated: number }> {
      const codes = await step(() => ledger.snapshotCodes(batchId));
      for (let i = 0; i < codes.length; i += 500) {
        await deps.redisCache.unlink(...codes.slice(i, i + 500).map(linkCacheKey));
      }
      if (codes.length && deps.evictLinks) await deps.evictLinks(codes);
      return { invalidated: codes.length };
    },
  };
}
