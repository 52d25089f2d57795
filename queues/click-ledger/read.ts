/**
 * Ledger read: a link's exact clicks while flushes run. One atomic Redis read of pending and the current
 * snapshot, one PostgreSQL statement (urls.clicks and whether that snapshot's batch is already applied), then
 * a re-check that no new snapshot was taken in between (else retry), so no click is counted twice.
 */
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { ClickKeys } from '../names';
import { redisScript } from '../redis-script';

export interface ClickCount {
  /** urls.clicks as read */
  flushed: number;
  /** clicks not yet in urls.clicks */
  pending: number;
  /** flushed + pending */
  total: number;
}

const readRedis = redisScript(`
local p = redis.call('HGET', KEYS[1], ARGV[1])
local f = redis.call('HMGET', KEYS[2], 'current', 'epoch')
local s = false
if f[1] then s = redis.call('HGET', ARGV[2] .. f[1], ARGV[1]) end
return {p or '0', f[1] or '', f[2] or '0', s or '0'}`);

const READ_PG = `SELECT u.clicks::text AS clicks,
  EXISTS (SELECT 1 FROM click_flush_batches b WHERE b.batch_id = $2) AS applied
  FROM urls u WHERE u.short_code = $1`;

const MAX_ATTEMPTS = 20;

/** The link's clicks, or null when no such link exists. */
export async function readCount(redis: Redis, pool: Pool, keys: ClickKeys, code: string): Promise<ClickCount | null> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [pending, batchId, epoch, snapshot] = (await readRedis(redis, [keys.pending, keys.flush], [
      code,
      keys.snapshotPrefix,
    ])) as [string, string, string, string];
    const { rows } = await pool.query<{ clicks: string; applied: boolean }>(READ_PG, [code, batchId]);
    // A snapshot taken after the Redis read may already be in urls.clicks: those clicks would count twice.
    const epochAfter = (await redis.hget(keys.flush, 'epoch')) ?? '0';
    if (epochAfter !== epoch) {
      // Flushes are seconds apart, so a second try nearly always succeeds; back off a little if not.
      if (attempt > 1) await new Promise((r) => setTimeout(r, attempt * 4));
      continue;
    }
    if (rows.length === 0) return null;
    const flushed = Number(rows[0].clicks);
    const inFlight = batchId && !rows[0].applied ? Number(snapshot) : 0;
    const notFlushed = Number(pending) + inFlight;
    return { flushed, pending: notFlushed, total: flushed + notFlushed };
  }
  throw new Error(`click count of ${code} kept moving under ${MAX_ATTEMPTS} flushes`);
}

/**
 * The last offset the counting group `group` aggregated, per partition of `topic` asked for (null where it
 * has aggregated nothing yet): a record at or below it is counted in pending, snapshot or urls.clicks.
 */
export async function appliedOffsets(
  redis: Redis,
  keys: ClickKeys,
  group: string,
  topic: string,
  partitions: readonly number[],
): Promise<(bigint | null)[]> {
  if (partitions.length === 0) return [];
  const values = await redis.hmget(keys.offsets(group), ...partitions.map((p) => `${topic}:${p}`));
  return values.map((v) => (v === null ? null : BigInt(v)));
}
