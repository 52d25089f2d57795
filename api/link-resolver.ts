/**
 * Resolves a short code to its URL: in-process LRU, then Redis `url:<code>`, then PostgreSQL.
 * Concurrent misses of one code share one lookup; unknown codes are remembered (LRU and Redis) for a while;
 * a Redis failure falls through to PostgreSQL; evictions published on LINK_EVICT_CHANNEL reach every replica.
 */
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { LINK_EVICT_CHANNEL, linkCacheKey, parseCachedLink, toCachedLink } from '../db/link-cache';
import { findLinkByCode } from '../db/links';
import type { Link } from '../db/schema';
import type { Db } from '../db/client';
import type { Config } from '../infra/config';
import type { Logger } from '../observability/logger';
import { registry } from '../observability/metrics';
import { unavailable } from './errors';

/** Redis key marking a code known not to exist (kept apart from `url:<code>`, whose JSON others parse). */
export const missingLinkKey = (code: string): string => `url_missing:${code}`;

const lookups = new Counter({
  name: 'link_lookups_total',
  help: 'Short-code lookups by the layer that answered and the outcome',
  labelNames: ['layer', 'result'] as const,
  registers: [registry],
});
const lruHit = lookups.labels('lru', 'hit');
const lruNegative = lookups.labels('lru', 'not_found');

export interface LinkResolverDeps {
  config: Config;
  log: Logger;
  db: Db;
  redis: Redis;
  /** Reads of cached links go here when set (a Redis replica); writes always go to `redis`. */
  readRedis?: Redis;
  /** A dedicated connection in subscriber mode; without it, evictions from other replicas are not heard. */
  subscriber?: Redis;
}

export interface LinkResolver {
  /** The LRU's answer without I/O: the URL, null for a known-missing code, undefined when not cached. */
  peek(code: string): string | null | undefined;
  /** The URL of `code` or null; throws a 503 HttpError when PostgreSQL cannot answer. */
  resolve(code: string): Promise<string | null>;
  /** Caches a link this process just wrote (LRU and Redis) and evicts it on every replica; never throws. */
  remember(link: Link): Promise<void>;
  /** Drops `code` from this process's LRU. */
  forget(code: string): void;
  /** Empties this process's LRU (tests and benchmarks use it to measure cold paths). */
  clear(): void;
  /** Resolves once the eviction subscription is active. */
  ready(): Promise<void>;
}

/** Builds the resolver; subscribes to evictions when a subscriber connection is given. */
export function createLinkResolver(deps: LinkResolverDeps): LinkResolver {
  const { config, log, db, redis } = deps;
  const readRedis = deps.readRedis ?? redis;
  const NOT_FOUND = '';
  // LRU_MAX_ENTRIES=0 turns the in-process cache off (every redirect asks Redis), e.g. to measure misses.
  const lruEnabled = config.LRU_MAX_ENTRIES > 0;
  const lru = new LRUCache<string, string>({ max: Math.max(1, config.LRU_MAX_ENTRIES), ttl: config.LRU_TTL_MS });
  const inflight = new Map<string, Promise<string | null>>();
  // A lookup that overlaps an eviction of its code must not store what it read; tracked per code so that
  // evictions of other codes (every create publishes one) never stop unrelated lookups from caching.
  const stale = new Set<string>();
  // Bumped when the whole LRU is dropped (clear, or a missed eviction stream after a reconnect).
  let generation = 0;
  let lastRedisWarn = 0;

  const warnRedis = (err: unknown, what: string) => {
    if (Date.now() - lastRedisWarn < 5000) return;
    lastRedisWarn = Date.now();
    log.warn({ err: (err as Error).message }, `link cache: ${what} failed; using PostgreSQL`);
  };
  const storeLocal = (code: string, url: string | null, startedAt: number) => {
    if (!lruEnabled || startedAt !== generation || stale.has(code)) return;
    if (url !== null) lru.set(code, url);
    else if (config.NEGATIVE_CACHE_TTL_MS > 0) lru.set(code, NOT_FOUND, { ttl: config.NEGATIVE_CACHE_TTL_MS });
  };
  const cacheWrite = (code: string, row: Link | null) => {
    const write =
      row === null
        ? config.NEGATIVE_CACHE_TTL_MS > 0
          ? redis.set(missingLinkKey(code), '1', 'PX', config.NEGATIVE_CACHE_TTL_MS)
          : Promise.resolve(null)
        : config.CACHE_TTL_SECONDS > 0
          ? redis.set(linkCacheKey(code), JSON.stringify(toCachedLink(row)), 'EX', config.CACHE_TTL_SECONDS, 'NX')
          : redis.set(linkCacheKey(code), JSON.stringify(toCachedLink(row)), 'NX');
    write.catch((err: unknown) => warnRedis(err, 'cache write'));
  };

  const load = async (code: string): Promise<string | null> => {
    const startedAt = generation;
    try {
      const [raw, missing] = await readRedis.mget(linkCacheKey(code), missingLinkKey(code));
      const cached = parseCachedLink(raw);
      if (cached) {
        lookups.inc({ layer: 'redis', result: 'hit' });
        storeLocal(code, cached.original_url, startedAt);
        return cached.original_url;
      }
      if (missing !== null) {
        lookups.inc({ layer: 'redis', result: 'not_found' });
        storeLocal(code, null, startedAt);
        return null;
      }
    } catch (err) {
      lookups.inc({ layer: 'redis', result: 'error' });
      warnRedis(err, 'lookup');
    }
    let row: Link | null;
    try {
      row = await findLinkByCode(db, code);
    } catch (err) {
      lookups.inc({ layer: 'postgres', result: 'error' });
      log.error({ err, code }, 'link lookup failed in PostgreSQL');
      throw unavailable('Database unavailable');
    }
    lookups.inc({ layer: 'postgres', result: row ? 'hit' : 'not_found' });
    storeLocal(code, row ? row.originalUrl : null, startedAt);
    cacheWrite(code, row);
    return row ? row.originalUrl : null;
  };

  const evictLocal = (code: string) => {
    if (inflight.has(code)) stale.add(code);
    lru.delete(code);
  };

  let subscribed: Promise<void> = Promise.resolve();
  const sub = deps.subscriber;
  if (sub) {
    sub.on('message', (channel: string, message: string) => {
      if (channel !== LINK_EVICT_CHANNEL) return;
      for (const code of message.split(' ')) if (code) evictLocal(code);
    });
    let connectedBefore = false;
    sub.on('ready', () => {
      // Evictions published while we were disconnected are lost, so nothing cached before can be trusted.
      if (connectedBefore) {
        generation++;
        lru.clear();
      }
      connectedBefore = true;
    });
    subscribed = sub.subscribe(LINK_EVICT_CHANNEL).then(() => undefined);
    subscribed.catch((err: unknown) => log.warn({ err }, 'link eviction subscription failed'));
  }

  const peek = (code: string): string | null | undefined => {
    const hit = lru.get(code);
    if (hit === undefined) return undefined;
    if (hit === NOT_FOUND) {
      lruNegative.inc();
      return null;
    }
    lruHit.inc();
    return hit;
  };

  return {
    peek,
    resolve(code) {
      const hit = peek(code);
      if (hit !== undefined) return Promise.resolve(hit);
      let pending = inflight.get(code);
      if (!pending) {
        pending = load(code).finally(() => {
          inflight.delete(code);
          stale.delete(code);
        });
        inflight.set(code, pending);
      }
      return pending;
    },
    async remember(link) {
      evictLocal(link.shortCode);
      if (lruEnabled) lru.set(link.shortCode, link.originalUrl);
      const json = JSON.stringify(toCachedLink(link));
      const pipeline = redis.pipeline();
      if (config.CACHE_TTL_SECONDS > 0) pipeline.set(linkCacheKey(link.shortCode), json, 'EX', config.CACHE_TTL_SECONDS);
      else pipeline.set(linkCacheKey(link.shortCode), json);
      pipeline.del(missingLinkKey(link.shortCode));
      pipeline.publish(LINK_EVICT_CHANNEL, link.shortCode);
      try {
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err);
        if (failed?.[0]) throw failed[0];
      } catch (err) {
        warnRedis(err, 'cache write after create');
      }
    },
    forget: evictLocal,
    clear() {
      generation++;
      lru.clear();
    },
    ready: () => subscribed.catch(() => undefined),
  };
}
