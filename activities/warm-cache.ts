/** Cache warming: the most-clicked links are written to Redis before their cached copies expire. */
import { desc, isNull } from 'drizzle-orm';
import type Redis from 'ioredis';
import type { Db } from '../db/client';
import { linkCacheKey, toCachedLink } from '../db/link-cache';
import { urls } from '../db/schema';

export interface WarmCacheDeps {
  db: Db;
  redisCache: Redis;
  cacheTtlSeconds: number;
}

export interface WarmCacheResult {
  warmed: number;
}

/** Builds the warmCache activity over injected clients. */
export function createWarmCacheActivities(deps: WarmCacheDeps) {
  return {
    /** Loads the top `topN` links by clicks into Redis in pipelined chunks; safe to run twice. */
    async warmCache(topN: number): Promise<WarmCacheResult> {
      if (topN <= 0) return { warmed: 0 };
      // Deleted links keep their rows as tombstones; caching one would bring it back to life for a TTL.
      const rows = await deps.db.select().from(urls).where(isNull(urls.deletedAt)).orderBy(desc(urls.clicks)).limit(topN);
      for (let i = 0; i < rows.length; i += 500) {
        const pipeline = deps.redisCache.pipeline();
        for (const row of rows.slice(i, i + 500)) {
          pipeline.set(linkCacheKey(row.shortCode), JSON.stringify(toCachedLink(row)), 'EX', deps.cacheTtlSeconds);
        }
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err);
        if (failed?.[0]) throw failed[0];
      }
      return { warmed: rows.length };
    },
  };
}
