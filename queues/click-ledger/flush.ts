/**
 * Ledger steps 2 and 3: snapshot the pending hash under a batch id, apply the snapshot to urls.clicks in one
 * transaction keyed by that id, drop the snapshot once PostgreSQL has it. Each can run twice (a retry, a new
 * flush resuming a failed one) without changing the result.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { clicksFlushed, flushDuration } from '../../observability/click-metrics';
import type { ClickKeys } from '../names';
import { redisScript } from '../redis-script';

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

export type LedgerErrorType = 'BadInput' | 'SnapshotMissing' | 'NotApplied';

/** A ledger step refused: retrying it cannot succeed (the flush activities make it non-retryable). */
export class LedgerError extends Error {
  constructor(
    readonly type: LedgerErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
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
  if (!BATCH_ID.test(batchId)) throw new LedgerError('BadInput', `invalid flush batch id ${JSON.stringify(batchId)}`);
}

async function isApplied(pool: Pool, batchId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM click_flush_batches WHERE batch_id = $1', [batchId]);
  return (rowCount ?? 0) > 0;
}

/** Moves the pending hash aside under a new batch id, or returns the unfinished snapshot; null when idle. */
export async function snapshotBatch(redis: Redis, keys: ClickKeys): Promise<ClickSnapshot | null> {
  const res = (await snapshotScript(redis, [keys.flush, keys.pending], [randomUUID(), keys.snapshotPrefix, Date.now()])) as
    | [string, number]
    | null;
  return res ? { batchId: res[0], resumed: res[1] === 1 } : null;
}

/** Adds the snapshot's counts to urls.clicks in one transaction that also records the batch id. */
export async function applyBatch(redis: Redis, pool: Pool, keys: ClickKeys, batchId: string): Promise<ApplyResult> {
  checkBatchId(batchId);
  const counts = await redis.hgetall(keys.snapshot(batchId));
  // Sorted, so two transactions touching the same rows always lock them in the same order.
  const codes = Object.keys(counts).sort();
  const values = codes.map((c) => Number(counts[c]));
  const clicks = values.reduce((a, b) => a + b, 0);
  if (codes.length === 0) {
    if (await isApplied(pool, batchId)) return { applied: false, links: 0, clicks: 0 };
    throw new LedgerError('SnapshotMissing', `snapshot of flush batch ${batchId} is missing`);
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
}

/** Deletes the snapshot once its batch is in PostgreSQL, and clears "current" if it still names it. */
export async function dropSnapshot(redis: Redis, pool: Pool, keys: ClickKeys, batchId: string): Promise<{ dropped: boolean }> {
  checkBatchId(batchId);
  if (!(await isApplied(pool, batchId))) {
    throw new LedgerError('NotApplied', `flush batch ${batchId} is not applied; keeping its snapshot`);
  }
  const started = (await dropScript(redis, [keys.flush, keys.snapshot(batchId)], [batchId])) as string | null;
  if (started) flushDuration.observe((Date.now() - Number(started)) / 1000);
  return { dropped: started !== null };
}

/** The codes a snapshot holds. */
export async function snapshotCodes(redis: Redis, keys: ClickKeys, batchId: string): Promise<string[]> {
  checkBatchId(batchId);
  return redis.hkeys(keys.snapshot(batchId));
}
