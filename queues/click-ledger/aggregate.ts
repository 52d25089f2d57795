/**
 * Ledger step 1: consumed click records into the pending hash, called by the counting consumer group for
 * each partition batch before it commits offsets. One Lua script does it atomically, so a batch that is
 * redelivered (crash before the commit) or a record that reached the topic twice (a retried send, a drained
 * fallback entry) is never counted twice.
 *
 * Dedup memory: a packed record is remembered as ONE BIT, bit `seq mod 2^16` of the bitmap
 * `seen-records:<producer>:<seq div 2^16>`, whose expiry is pushed back by every record set in it (so each
 * record is remembered at least the dedup TTL). A producer numbers its records densely, so a bitmap fills
 * up; the cost is about 1/8 byte per record plus one key per 65,536 records, whatever the packing factor.
 * A format-1 record (one click, a random id) still costs a `seen:<click id>` key, as before the upgrade.
 */
import type Redis from 'ioredis';
import type { CountedRecord } from '../click-record';
import type { ClickKeys } from '../names';
import { redisScript } from '../redis-script';

/** One record as the aggregator needs it. */
export type AggregateRecord = CountedRecord & { offset: string };

export interface AggregateBatch {
  topic: string;
  partition: number;
  /** Offset of the batch's last message (a dead-lettered one included). */
  lastOffset: string;
  records: readonly AggregateRecord[];
}

/** Click counts (not records) by outcome. */
export interface AggregateResult {
  /** newly counted */
  counted: number;
  /** already counted under another offset (a retried send, a drained fallback record) */
  duplicates: number;
  /** at or below the stored offset: a redelivered batch */
  redelivered: number;
}

export const RECORD_BITMAP_BITS = 65_536;

// KEYS: offsets hash, pending hash. ARGV: field, last offset, ttl, then per record:
//   offset, dedup key, bit (-1: a SET NX key), clicks, code count m, then m code/count pairs.
// Kafka offsets stay below 2^53, so Lua numbers hold them exactly.
const aggregateScript = redisScript(`
local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
local last = tonumber(ARGV[2])
local ttl = ARGV[3]
local counted, dup, skipped = 0, 0, 0
local incr = {}
local i = 4
while i <= #ARGV do
  local key, bit, total, m = ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  if tonumber(ARGV[i]) <= stored then
    skipped = skipped + total
  else
    local fresh
    if bit < 0 then
      fresh = redis.call('SET', key, '1', 'NX', 'EX', ttl)
    else
      fresh = redis.call('SETBIT', key, bit, 1) == 0
      redis.call('EXPIRE', key, ttl)
    end
    if fresh then
      for j = i + 5, i + 3 + 2 * m, 2 do incr[ARGV[j]] = (incr[ARGV[j]] or 0) + tonumber(ARGV[j + 1]) end
      counted = counted + total
    else
      dup = dup + total
    end
  end
  i = i + 5 + 2 * m
end
for code, n in pairs(incr) do redis.call('HINCRBY', KEYS[2], code, n) end
if last > stored then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return {counted, dup, skipped}`);

/** Counts each record of the batch at most once and records the batch's last offset, atomically. */
export async function aggregateBatch(
  redis: Redis,
  keys: ClickKeys,
  group: string,
  ttlSeconds: number,
  batch: AggregateBatch,
): Promise<AggregateResult> {
  const args: (string | number)[] = [`${batch.topic}:${batch.partition}`, batch.lastOffset, ttlSeconds];
  for (const r of batch.records) {
    if (r.format === 'packed') {
      const block = Math.floor(r.id.seq / RECORD_BITMAP_BITS);
      args.push(r.offset, keys.seenRecords(r.id.producer, block), r.id.seq % RECORD_BITMAP_BITS, r.total, r.codes.length);
    } else {
      args.push(r.offset, keys.seen(r.clickId), -1, 1, 1);
    }
    for (let j = 0; j < r.codes.length; j++) args.push(r.codes[j], r.counts[j]);
  }
  const [counted, duplicates, redelivered] = (await aggregateScript(redis, [keys.offsets(group), keys.pending], args)) as [
    number,
    number,
    number,
  ];
  return { counted, duplicates, redelivered };
}
