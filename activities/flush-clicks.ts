/**
 * The activities of one click flush: snapshot the pending hash, apply it to urls.clicks in one transaction
 * keyed by the batch id, invalidate the flushed links' cached copies, drop the snapshot. Each one can run
 * twice (a retry, a new workflow resuming a failed one) without changing the result.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { linkCacheKey } from '../db/link-cache';
import { clicksFlushed, flushDuration } from '../observability/click-metrics';
import type { ClickKeys } from '../queues/names';
import { redisScript } from '../queues/redis-script';

export interface ClickFlushDeps {
  redisQueue: Redis;
  redisCache: Redis;
  pool: Pool;
  keys: ClickKeys;
  /** Tells API processes to drop these links from their in-memory LRU (optional). */
  evictLinks?: (codes: string[]) => Promise<void>;
}

export interface ClickSnapshot {
  batchId: string;
  /** true when an earlier, unfinished flush's snapshot was picked up again */
  resumed: boolean;
}

export interface ApplyResult {
  applied: boolean;
  links: number;
  clicks: number;
}

// KEYS: flush hash, pending hash. ARGV: new batch id, snapshot key prefix, now (ms).
const snapshotScript = redisScript(`
local cur = redis.call('HGET', KEYS[1], 'current')
if cur then return {cur, 1} end
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
redis.call('RENAME', KEYS[2], ARGV[2] .. ARGV[1])
redis.call('HSET', KEYS[1], 'current', ARGV[1], 'started_ms', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'epoch', 1)
return {ARGV[1], 0}`);

// KEYS: flush hash, snapshot. ARGV: batch id. Returns started_ms when this batch was current.
const dropScript = redisScript(`
redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[1], 'current') ~= ARGV[1] then return false end
local started = redis.call('HGET', KEYS[1], 'started_ms')
redis.call('HDEL', KEYS[1], 'current', 'started_ms')
return started`);

const BATCH_ID = /^[0-9a-f-]{36}$/;

function checkBatchId(batchId: string): void {
  if (!BATCH_ID.test(batchId)) {
    throw ApplicationFailure.nonRetryable(`invalid flush batch id ${JSON.stringify(batchId)}`, 'BadInput');
  }
}

/** Builds the flush activities over injected clients. */
export function createFlushActivities(deps: ClickFlushDeps) {
  const { redisQueue, pool, keys } = deps;

  const isApplied = async (batchId: string): Promise<boolean> => {
    const { rowCount } = await pool.query('SELECT 1 FROM click_flush_batches WHERE batch_id = $1', [batchId]);
    return (rowCount ?? 0) > 0;
  };

  return {
    /** Moves the pending hash aside under a new batch id, or returns the unfinished snapshot; null when idle. */
    async snapshotClicks(): Promise<ClickSnapshot | null> {
      const res = (await snapshotScript(redisQueue, [keys.flush, keys.pending], [
        randomUUID(),
        keys.snapshotPrefix,
        Date.now(),
      ])) as [string, number] | null;
      return res ? { batchId: res[0], resumed: res[1] === 1 } : null;
    },

    /** Adds the snapshot's counts to urls.clicks in one transaction that also records the batch id. */
    async applyClickBatch(batchId: string): Promise<ApplyResult> {
      checkBatchId(batchId);
      const counts = await redisQueue.hgetall(keys.snapshot(batchId));
      // Sorted, so two transactions touching the same rows always lock them in the same order.
      const codes = Object.keys(counts).sort();
      const values = codes.map((c) => Number(counts[c]));
      const clicks = values.reduce((a, b) => a + b, 0);
      if (codes.length === 0) {
        if (await isApplied(batchId)) return { applied: false, links: 0, clicks: 0 };
        throw ApplicationFailure.nonRetryable(`snapshot of flush batch ${batchId} is missing`, 'SnapshotMissing');
      }
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const inserted = await client.query(
          `INSERT INTO click_flush_batches (batch_id, links, clicks) VALUES ($1, $2, $3)
           ON CONFLICT (batch_id) DO NOTHING`,
          [batchId, codes.length, clicks],
        );
        if (inserted.rowCount === 0) {
          await client.query('ROLLBACK');
          return { applied: false, links: 0, clicks: 0 };
        }
        // unnest() rather than a VALUES list: two parameters whatever the number of links.
        const updated = await client.query(
          `UPDATE urls u SET clicks = u.clicks + v.n, updated_at = now()
           FROM unnest($1::text[], $2::bigint[]) AS v(code, n)
           WHERE u.short_code = v.code`,
          [codes, values],
        );
        await client.query('COMMIT');
        clicksFlushed.inc(clicks);
        return { applied: true, links: updated.rowCount ?? 0, clicks };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    /** Deletes the flushed links' cached JSON (its clicks field is stale) and evicts them from API LRUs. */
    async invalidateLinks(batchId: string): Promise<{ invalidated: number }> {
      checkBatchId(batchId);
      const codes = await redisQueue.hkeys(keys.snapshot(batchId));
      for (let i = 0; i < codes.length; i += 500) {
        const chunk = codes.slice(i, i + 500);
        await deps.redisCache.unlink(...chunk.map(linkCacheKey));
      }
      if (codes.length && deps.evictLinks) await deps.evictLinks(codes);
      return { invalidated: codes.length };
    },

    /** Deletes the snapshot once its batch is in PostgreSQL, and clears "current" if it still names it. */
    async dropClickSnapshot(batchId: string): Promise<{ dropped: boolean }> {
      checkBatchId(batchId);
      if (!(await isApplied(batchId))) {
        throw ApplicationFailure.nonRetryable(`flush batch ${batchId} is not applied; keeping its snapshot`, 'NotApplied');
      }
      const started = (await dropScript(redisQueue, [keys.flush, keys.snapshot(batchId)], [batchId])) as string | null;
      if (started) flushDuration.observe((Date.now() - Number(started)) / 1000);
      return { dropped: started !== null };
    },
  };
}
