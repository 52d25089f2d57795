/**
 * The reserve of ID blocks: a list on the queue Redis that the keygen worker keeps topped up and API
 * processes pop from. Data flows one way: the worker pushes, an API pops one block per round trip, and
 * nobody waits on anybody. Every block was reserved from the PostgreSQL allocator before it was pushed, so
 * losing the list (a flushed Redis) only leaves unused gaps in the ID space, never a repeated ID.
 */
import type Redis from 'ioredis';
import { isIdBlock, type Allocator, type IdBlock } from './allocator';

/** A block as stored in the list: `start-end`. */
export const encodeBlock = (b: IdBlock): string => `${b.start}-${b.end}`;

/** The block of a list entry, or undefined when the entry is not one (it is then dropped, never used). */
export function decodeBlock(entry: string): IdBlock | undefined {
  const m = /^(\d{1,16})-(\d{1,16})$/.exec(entry);
  if (!m) return undefined;
  const block = { start: Number(m[1]), end: Number(m[2]) };
  return isIdBlock(block) ? block : undefined;
}

/** One pop: the block (if the list held one) and how many blocks are left behind it. */
export interface Popped {
  block: IdBlock | undefined;
  left: number;
}

/** Pops the oldest block and reads the list's length in one round trip (MULTI). */
export async function popBlock(redis: Redis, key: string): Promise<Popped> {
  const res = await redis.multi().lpop(key).llen(key).exec();
  if (!res) throw new Error('keygen block pop was aborted');
  const [[popErr, entry], [lenErr, left]] = res as [[Error | null, string | null], [Error | null, number]];
  if (popErr ?? lenErr) throw popErr ?? lenErr;
  return { block: entry === null ? undefined : decodeBlock(entry), left: Number(left) };
}

/**
 * Tops the list up to `depth` blocks of `size` IDs: the missing blocks are reserved from PostgreSQL in one
 * statement, split, and pushed in one command. Returns how many were pushed. Two top-ups at once may push
 * a few blocks more than `depth` (bounded by the worker's concurrency); none can repeat an ID.
 */
export async function topUpBlocks(redis: Redis, key: string, allocator: Allocator, depth: number, size: number): Promise<number> {
  const missing = depth - (await redis.llen(key));
  if (missing <= 0) return 0;
  const range = await allocator.reserve(missing * size);
  const entries: string[] = [];
  for (let start = range.start; start < range.end; start += size) entries.push(encodeBlock({ start, end: start + size }));
  await redis.rpush(key, ...entries);
  return entries.length;
}
