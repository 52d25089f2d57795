/**
 * The cached link JSON at Redis `url:<code>`: one zod schema for every writer (API, cache warmer) and
 * reader (redirect path), matching the payload the replaced system stored under the same key; and the
 * pub/sub channel that tells every API replica to drop a changed link from its in-process LRU.
 */
import type Redis from 'ioredis';
import { z } from 'zod';
import type { Link } from './schema';

export const CachedLinkSchema = z.object({
  id: z.number().int(),
  short_code: z.string(),
  original_url: z.string(),
  clicks: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type CachedLink = z.infer<typeof CachedLinkSchema>;

/** Redis key of a cached link. */
export const linkCacheKey = (code: string): string => `url:${code}`;

/** The cache payload for a link row. */
export function toCachedLink(row: Link): CachedLink {
  return {
    id: row.id,
    short_code: row.shortCode,
    original_url: row.originalUrl,
    clicks: row.clicks,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** Parses a cached payload; null for anything that is not a valid link (a corrupt entry is a miss). */
export function parseCachedLink(raw: string | null): CachedLink | null {
  if (raw === null) return null;
  try {
    const parsed = CachedLinkSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Redis pub/sub channel (cache Redis) on which changed or deleted links are evicted from every API's LRU. */
export const LINK_EVICT_CHANNEL = 'linkhop:link-evict';

/** Tells every API replica to drop `codes` from its LRU; callers update or delete `url:<code>` first. */
export async function evictLink(redis: Redis, codes: string | readonly string[]): Promise<void> {
  const list = typeof codes === 'string' ? [codes] : codes;
  // Codes are alphanumeric, so a space-separated list is unambiguous and one message serves a whole batch.
  if (list.length) await redis.publish(LINK_EVICT_CHANNEL, list.join(' '));
}
