/**
 * The click ledger: the one owner of exact click counts.
 *
 * INVARIANT: every counted click is in exactly one of three places —
 *   1. pending:   the hash `keys.pending` (code -> clicks) on the queue Redis, filled by aggregate();
 *   2. snapshot:  the hash `keys.snapshot(batchId)` of the one batch named by `keys.flush`.current, moved
 *                 there from pending by snapshot() and kept until drop() sees its batch in PostgreSQL;
 *   3. urls.clicks in PostgreSQL, added by apply() in one transaction that also records the batch id in
 *                 click_flush_batches (so a batch is applied at most once).
 * A click moves pending -> snapshot -> urls.clicks and nothing else writes these places. Every step is
 * atomic (one Lua script or one transaction) and idempotent, so a retry, a crash or a second flusher never
 * loses or doubles a click; read() adds the three places up consistently. All keys live on the queue Redis
 * (noeviction + AOF): losing one loses clicks.
 *
 * Callers: the counting consumer group (aggregate), the flush activities (snapshot, apply, drop) and the
 * stats route through the click sink (read). They hold no ledger logic of their own.
 */
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { ClickKeys } from '../names';
import { aggregateBatch, type AggregateBatch, type AggregateResult } from './aggregate';
import { applyBatch, dropSnapshot, snapshotBatch, snapshotCodes, type ApplyResult, type ClickSnapshot } from './flush';
import { appliedOffsets, readCount, type ClickCount } from './read';

export type { AggregateBatch, AggregateRecord, AggregateResult } from './aggregate';
export { LedgerError, type ApplyResult, type ClickSnapshot, type LedgerErrorType } from './flush';
export type { ClickCount } from './read';

export interface ClickLedgerDeps {
  /** The QUEUE Redis. */
  redis: Redis;
  keys: ClickKeys;
  /** PostgreSQL; a ledger built without it (the consumer process) can only aggregate. */
  pool?: Pool;
  /** How long a record id is remembered to drop duplicates (aggregate). */
  dedupTtlSeconds?: number;
}

export interface ClickLedger {
  /** Counts each record of a consumed batch at most once and records the batch's last offset for `group`. */
  aggregate(group: string, batch: AggregateBatch): Promise<AggregateResult>;
  /** Moves pending aside under a new batch id, or returns the unfinished snapshot; null when idle. */
  snapshot(): Promise<ClickSnapshot | null>;
  /** Adds the snapshot's counts to urls.clicks, once per batch id. */
  apply(batchId: string): Promise<ApplyResult>;
  /** Deletes the snapshot once its batch is in PostgreSQL; refuses (LedgerError NotApplied) before. */
  drop(batchId: string): Promise<{ dropped: boolean }>;
  /** A link's clicks from all three places, read consistently; null when no such link exists. */
  read(code: string): Promise<ClickCount | null>;
  /** The codes a snapshot holds (empty once it is dropped). */
  snapshotCodes(batchId: string): Promise<string[]>;
  /** Per partition asked for, the last offset of `topic` that `group` aggregated (null: none yet). */
  appliedOffsets(group: string, topic: string, partitions: readonly number[]): Promise<(bigint | null)[]>;
}

/** Builds the ledger over the queue Redis and (for everything but aggregate) PostgreSQL. */
export function createClickLedger(deps: ClickLedgerDeps): ClickLedger {
  const { redis, keys } = deps;
  const pool = (): Pool => {
    if (!deps.pool) throw new Error('this click ledger was built without PostgreSQL: it can only aggregate');
    return deps.pool;
  };
  const ttl = Math.max(1, Math.floor(deps.dedupTtlSeconds ?? 86_400));
  return {
    aggregate: (group, batch) => aggregateBatch(redis, keys, group, ttl, batch),
    snapshot: () => snapshotBatch(redis, keys),
    apply: (batchId) => applyBatch(redis, pool(), keys, batchId),
    drop: (batchId) => dropSnapshot(redis, pool(), keys, batchId),
    read: (code) => readCount(redis, pool(), keys, code),
    snapshotCodes: (batchId) => snapshotCodes(redis, keys, batchId),
    appliedOffsets: (group, topic, partitions) => appliedOffsets(redis, keys, group, topic, partitions),
  };
}
