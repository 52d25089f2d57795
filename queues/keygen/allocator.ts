/**
 * The durable ID allocator: a high-water mark per key in PostgreSQL's `id_allocator`, moved forward by one
 * atomic statement. Ranges never overlap, whatever happens to Redis (the seed reset its Redis counter).
 */
import type { Pool } from 'pg';
import { CODE_SPACE } from './codec';

/** IDs start..end-1 (end exclusive), reserved for one holder. */
export interface IdBlock {
  start: number;
  end: number;
}

export interface Allocator {
  /** Reserves the next `size` IDs of the key; rejects if PostgreSQL is unreachable or the space is used up. */
  reserve(size: number): Promise<IdBlock>;
}

// The first reservation inserts next_id = size (block [0, size)); every later one adds size under the
// row lock ON CONFLICT takes, so concurrent reservations serialise and each gets its own range.
const RESERVE_SQL = `
  INSERT INTO id_allocator (name, next_id) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET next_id = id_allocator.next_id + EXCLUDED.next_id, updated_at = now()
  RETURNING next_id`;

/** Builds the allocator for one key (config ID_ALLOCATOR_KEY). */
export function createAllocator(deps: { pool: Pool; key: string }): Allocator {
  return {
    async reserve(size) {
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`block size must be a positive integer, got ${size}`);
      const { rows } = await deps.pool.query<{ next_id: string }>(RESERVE_SQL, [deps.key, size]);
      const end = Number(rows[0].next_id);
      if (end > CODE_SPACE) throw new Error(`short code space exhausted for allocator '${deps.key}'`);
      return { start: end - size, end };
    },
  };
}

/** True when `v` looks like an IdBlock inside the code space (used on values that crossed Redis). */
export function isIdBlock(v: unknown): v is IdBlock {
  if (typeof v !== 'object' || v === null) return false;
  const { start, end } = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(start) && Number.isSafeInteger(end) &&
    (start as number) >= 0 && (start as number) < (end as number) && (end as number) <= CODE_SPACE
  );
}
