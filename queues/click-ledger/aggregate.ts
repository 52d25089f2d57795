/**
 * Ledger step 1: consumed clicks into the pending hash, called by the counting consumer group for each
 * partition batch before it commits offsets. One Lua script does it atomically, so a batch that is
 * redelivered (crash before the commit) or a click that reached the topic twice is never counted twice.
 */
import type Redis from 'ioredis';
import type { ClickKeys } from '../names';
import { redisScript } from '../redis-script';

/** One click as the aggregator needs it. */
export interface AggregateClick {
  offset: string;
  clickId: string;
  code: string;
}

export interface AggregateBatch {
  topic: string;
  partition: number;
  /** Offset of the batch's last message (a dead-lettered one included). */
  lastOffset: string;
  clicks: readonly AggregateClick[];
}

export interface AggregateResult {
  /** newly counted */
  counted: number;
  /** already counted under another offset (a retried send, a drained fallback batch) */
  duplicates: number;
  /** at or below the stored offset: a redelivered batch */
  redelivered: number;
}

// KEYS: offsets hash, pending hash. ARGV: field, last offset, ttl, seen-key prefix, then offset/id/code triples.
// Kafka offsets stay below 2^53, so Lua numbers hold them exactly.
const aggregateScript = redisScript(`
local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
local last = tonumber(ARGV[2])
local counted, dup, skipped = 0, 0, 0
local incr = {}
for i = 5, #ARGV, 3 do
  if tonumber(ARGV[i]) <= stored then
    skipped = skipped + 1
  elseif redis.call('SET', ARGV[4] .. ARGV[i + 1], '1', 'NX', 'EX', ARGV[3]) then
    incr[ARGV[i + 2]] = (incr[ARGV[i + 2]] or 0) + 1
    counted = counted + 1
  else
    dup = dup + 1
  end
end
for code, n in pairs(incr) do redis.call('HINCRBY', KEYS[2], code, n) end
if last > stored then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return {counted, dup, skipped}`);

/** Counts each click of the batch at most once and records the batch's last offset, atomically. */
export async function aggregateBatch(
  redis: Redis,
  keys: ClickKeys,
  group: string,
  ttlSeconds: number,
  batch: AggregateBatch,
): Promise<AggregateResult> {
  const args: (string | number)[] = [`${batch.topic}:${batch.partition}`, batch.lastOffset, ttlSeconds, keys.seen('')];
  for (const c of batch.clicks) args.push(c.offset, c.clickId, c.code);
  const [counted, duplicates, redelivered] = (await aggregateScript(redis, [keys.offsets(group), keys.pending], args)) as [
    number,
    number,
    number,
  ];
  return { counted, duplicates, redelivered };
}
