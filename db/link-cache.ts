/**
 * The cached link JSON at Redis `url:<code>`: one zod schema for every writer (API, cache warmer) and
 * reader (redirect path), matching the payload the replaced system stored under the same key, plus what the
 * redirect needs to decide without PostgreSQL (expiry, limit, password, query forwarding; optional, so an
 * entry written by an older process still reads as a plain link); and the pub/sub channel that tells every
 * API replica to drop a changed link from its in-process LRU.
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
  expires_at: z.string().nullish(),
  max_visits: z.number().int().nullish(),
  has_password: z.boolean().optional(),
  forward_query: z.boolean().optional(),
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
    expires_at: row.expiresAt ? row.expiresAt.toISOString() : null,
    max_visits: row.maxVisits,
    has_password: row.passwordHash !== null,
    forward_query: row.forwardQuery,
  };
}

/** What the redirect path needs to answer for a link, held in each replica's LRU. */
export interface LinkTarget {
  url: string;
  /** Epoch milliseconds after which the link answers 410, or null. */
  expiresAt: number | null;
  /** True when max_visits is set: each redirect is counted in PostgreSQL first. */
  limited: boolean;
  password: boolean;
  forwardQuery: boolean;
}

/** The redirect target of a cached payload. */
export function toLinkTarget(c: CachedLink): LinkTarget {
  return {
    url: c.original_url,
    expiresAt: c.expires_at ? Date.parse(c.expires_at) : null,
    limited: c.max_visits !== null && c.max_visits !== undefined,
    password: c.has_password ?? false,
    forwardQuery: c.forward_query ?? true,
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
