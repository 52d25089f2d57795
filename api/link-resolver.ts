/**
 * Resolves a short code to its URL: in-process LRU, then Redis `url:<code>`, then PostgreSQL.
 * Concurrent misses of one code share one lookup, and the misses of one event-loop turn share one Redis read
 * and one PostgreSQL query; unknown codes are remembered (LRU and Redis) for a while;
 * a Redis failure falls through to PostgreSQL; evictions published on LINK_EVICT_CHANNEL reach every replica.
 */
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { LINK_EVICT_CHANNEL, linkCacheKey, parseCachedLink, toCachedLink, toLinkTarget, type LinkTarget } from '../db/link-cache';
import { findLinksByCodes } from '../db/links';
import type { Link } from '../db/schema';
import type { Db } from '../db/client';
import type { Config } from '../infra/config';
import { createGroupCommit } from '../infra/group-commit';
import type { Logger } from '../observability/logger';
import { registry } from '../observability/metrics';
import { redisScript } from '../queues/redis-script';
import { unavailable } from './errors';

/** Redis key marking a code known not to exist (kept apart from `url:<code>`, whose JSON others parse). */
export const missingLinkKey = (code: string): string => `url_missing:${code}`;

/** SET url:<code> NX (with EX when the TTL is not 0) unless url_missing:<code> exists. */
const FILL_UNLESS_MISSING = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[2] == '0' then return redis.call('SET', KEYS[1], ARGV[1], 'NX') end
return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX')`;

/**
 * Caches the links of one create batch in one command: SET url:<code> (EX ARGV[1] unless '0') for the first
 * ARGV[2] keys with the JSON in ARGV[5..], DEL the remaining keys (url_missing:<custom code>), and PUBLISH
 * ARGV[4] on channel ARGV[3] unless it is empty. One command instead of one per link spares the API a command
 * object, a timeout timer and a reply per link.
 */
const CACHE_NEW_LINKS = redisScript(`
local n = tonumber(ARGV[2])
for i = 1, n do
  if ARGV[1] == '0' then redis.call('SET', KEYS[i], ARGV[4 + i]) else redis.call('SET', KEYS[i], ARGV[4 + i], 'EX', ARGV[1]) end
end
for i = n + 1, #KEYS do redis.call('DEL', KEYS[i]) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return n`);

/** How long a deleted code stays marked missing in Redis at least (deleted codes never come back). */
const DELETED_MARK_MS = 3_600_000;

const lookups = new Counter({
  name: 'link_lookups_total',
  help: 'Short-code lookups by layer and outcome (hit, not_found, miss: asked and passed on, error)',
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
  /** The LRU's answer without I/O: the target, null for a known-missing code, undefined when not cached. */
  peek(code: string): LinkTarget | null | undefined;
  /** The target of `code` or null; throws a 503 HttpError when PostgreSQL cannot answer. */
  resolve(code: string): Promise<LinkTarget | null>;
  /** Caches a link this process just wrote or edited (LRU and Redis) and evicts it on every replica; never throws. */
  remember(link: Link): Promise<void>;
  /**
   * Caches links just created (LRU and Redis, one pipeline). Only `custom` codes clear a missing mark and are
   * evicted on every replica (one message): see the comment at the implementation. Never throws.
   */
  rememberNew(generated: readonly Link[], custom: readonly Link[]): Promise<void>;
  /** Forgets a deleted link everywhere: Redis marks it missing, every replica drops it from its LRU. */
  drop(code: string): Promise<void>;
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
  const NOT_FOUND = null;
  // LRU_MAX_ENTRIES=0 turns the in-process cache off (every redirect asks Redis), e.g. to measure misses.
  const lruEnabled = config.LRU_MAX_ENTRIES > 0;
  // A known-missing code is held as a boxed null (lru-cache cannot store null itself).
  const lru = new LRUCache<string, { t: LinkTarget | null }>({ max: Math.max(1, config.LRU_MAX_ENTRIES), ttl: config.LRU_TTL_MS });
  const inflight = new Map<string, Promise<LinkTarget | null>>();
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
  const storeLocal = (code: string, target: LinkTarget | null, startedAt: number) => {
    if (!lruEnabled || startedAt !== generation || stale.has(code)) return;
    if (target !== null) lru.set(code, { t: target });
    else if (config.NEGATIVE_CACHE_TTL_MS > 0) lru.set(code, { t: NOT_FOUND }, { ttl: config.NEGATIVE_CACHE_TTL_MS });
  };
  const cacheWrite = (code: string, row: Link | null) => {
    const write =
      row === null
        ? config.NEGATIVE_CACHE_TTL_MS > 0
          ? redis.set(missingLinkKey(code), '1', 'PX', config.NEGATIVE_CACHE_TTL_MS)
          : Promise.resolve(null)
        : // Refused while the code is marked missing: a lookup that read a row just before its delete must
          // not put the deleted link back into Redis after drop() removed it.
          redis.eval(FILL_UNLESS_MISSING, 2, linkCacheKey(code), missingLinkKey(code), JSON.stringify(toCachedLink(row)), String(config.CACHE_TTL_SECONDS));
    write.catch((err: unknown) => warnRedis(err, 'cache write'));
  };

  /** Runs a pipeline; any failed command (or Redis being away) is a throttled warning, never an error. */
  const execOrWarn = async (pipeline: ReturnType<Redis['pipeline']>, what: string): Promise<void> => {
    try {
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
    } catch (err) {
      warnRedis(err, what);
    }
  };

  // Misses arrive together when many codes are new at once (a crawler, a cold replica, a burst of unknown
  // codes): each turn's misses are one MGET and one query instead of a round trip each, which cost Redis,
  // PostgreSQL and this process more per code than the lookup itself. A failed batch fails each of its codes.
  const redisReads = createGroupCommit<string, readonly [string | null, string | null]>({
    maxBatch: 100,
    maxInFlight: 4,
    commit: async (codes) => {
      const values = await readRedis.mget(codes.flatMap((c) => [linkCacheKey(c), missingLinkKey(c)]));
      return codes.map((_, i) => [values[2 * i], values[2 * i + 1]] as const);
    },
  });
  const pgReads = createGroupCommit<string, Link | null>({
    maxBatch: 100,
    maxInFlight: 4,
    commit: async (codes) => {
      const rows = await findLinksByCodes(db, codes);
      const byCode = new Map(rows.map((r) => [r.shortCode, r]));
      return codes.map((c) => byCode.get(c) ?? null);
    },
  });

  const load = async (code: string): Promise<LinkTarget | null> => {
    const startedAt = generation;
    try {
      const [raw, missing] = await redisReads.submit(code);
      const cached = parseCachedLink(raw);
      if (cached) {
        lookups.inc({ layer: 'redis', result: 'hit' });
        const target = toLinkTarget(cached);
        storeLocal(code, target, startedAt);
        return target;
      }
      if (missing !== null) {
        lookups.inc({ layer: 'redis', result: 'not_found' });
        storeLocal(code, null, startedAt);
        return null;
      }
      // Counted too: a Redis round trip that PostgreSQL then answers is still a Redis lookup.
      lookups.inc({ layer: 'redis', result: 'miss' });
    } catch (err) {
      lookups.inc({ layer: 'redis', result: 'error' });
      warnRedis(err, 'lookup');
    }
    let row: Link | null;
    try {
      row = await pgReads.submit(code);
    } catch (err) {
      lookups.inc({ layer: 'postgres', result: 'error' });
      log.error({ err, code }, 'link lookup failed in PostgreSQL');
      throw unavailable('Database unavailable');
    }
    lookups.inc({ layer: 'postgres', result: row ? 'hit' : 'not_found' });
    const target = row ? toLinkTarget(toCachedLink(row)) : null;
    storeLocal(code, target, startedAt);
    cacheWrite(code, row);
    return target;
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

  const peek = (code: string): LinkTarget | null | undefined => {
    const hit = lru.get(code);
    if (hit === undefined) return undefined;
    if (hit.t === NOT_FOUND) {
      lruNegative.inc();
      return null;
    }
    lruHit.inc();
    return hit.t;
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
      const cached = toCachedLink(link);
      if (lruEnabled) lru.set(link.shortCode, { t: toLinkTarget(cached) });
      const json = JSON.stringify(cached);
      const pipeline = redis.pipeline();
      if (config.CACHE_TTL_SECONDS > 0) pipeline.set(linkCacheKey(link.shortCode), json, 'EX', config.CACHE_TTL_SECONDS);
      else pipeline.set(linkCacheKey(link.shortCode), json);
      pipeline.del(missingLinkKey(link.shortCode));
      pipeline.publish(LINK_EVICT_CHANNEL, link.shortCode);
      await execOrWarn(pipeline, 'cache write after create');
    },
    // A brand-new link can be cached as missing only if someone asked for its code before it existed. A
    // custom code may well have been probed (its creator checking that it is free, a client reading it
    // early), so its `url_missing:` mark is deleted and every replica drops it from its LRU. A generated code
    // cannot have been: it comes from an ID block only this process holds, through a keyed permutation, so
    // nobody saw it before this response (guessing one is a 1 in 62^7 shot per request, and even then the
    // negative entry lapses after NEGATIVE_CACHE_TTL_MS). Its new `url:` key is enough, since Redis readers
    // look at `url:` before `url_missing:`. Skipping the publish saves every replica a message per create.
    async rememberNew(generated, custom) {
      if (generated.length === 0 && custom.length === 0) return;
      const keys: string[] = [];
      const json: string[] = [];
      for (const link of [...generated, ...custom]) {
        // A lookup of this code in flight read "missing" before the insert: it must not store that.
        if (inflight.has(link.shortCode)) stale.add(link.shortCode);
        const cached = toCachedLink(link);
        if (lruEnabled) lru.set(link.shortCode, { t: toLinkTarget(cached) });
        keys.push(linkCacheKey(link.shortCode));
        json.push(JSON.stringify(cached));
      }
      for (const link of custom) keys.push(missingLinkKey(link.shortCode));
      const evict = custom.map((l) => l.shortCode).join(' ');
      try {
        await CACHE_NEW_LINKS(redis, keys, [String(config.CACHE_TTL_SECONDS), json.length, LINK_EVICT_CHANNEL, evict, ...json]);
      } catch (err) {
        warnRedis(err, 'cache write after create');
      }
    },
    async drop(code) {
      evictLocal(code);
      const pipeline = redis.pipeline();
      pipeline.del(linkCacheKey(code));
      pipeline.set(missingLinkKey(code), '1', 'PX', Math.max(DELETED_MARK_MS, config.NEGATIVE_CACHE_TTL_MS));
      pipeline.publish(LINK_EVICT_CHANNEL, code);
      await execOrWarn(pipeline, 'cache eviction after delete');
    },
    forget: evictLocal,
    clear() {
      generation++;
      lru.clear();
    },
    ready: () => subscribed.catch(() => undefined),
  };
}
