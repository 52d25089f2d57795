/**
 * Per-client limit on link creation, shared by every replica through Redis: a fixed one-minute window
 * counted with one atomic INCR+PEXPIRE script; over the limit is a 429 with Retry-After.
 * The client is the principal the auth middleware resolved (so a key is limited wherever it comes from),
 * else its IP. If Redis cannot answer, creation is allowed: the limit protects, it must not take the API down.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Middleware } from 'koa';
import type { Config } from '../../infra/config';
import { deploymentNames } from '../../infra/deployment';
import type { Logger } from '../../observability/logger';
import type { AppState } from '../deps';
import type { Principal } from '../auth';
import { type HttpError, tooManyRequests } from '../errors';

const WINDOW_MS = 60_000;
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

export interface RateLimitDeps {
  config: Config;
  redis: Redis;
  log: Logger;
}

/** A counted create: the RateLimit-* headers to answer with, and the 429 when the client is over the limit. */
export interface LimitOutcome {
  headers: Record<string, string>;
  refusal: HttpError | undefined;
}

/**
 * Counts one create of a client (its principal, else its address, read only when needed); undefined when
 * nothing was counted (the limit is off or Redis could not answer).
 */
export type CreateLimiter = (principal: Principal | undefined, ip: () => string) => Promise<LimitOutcome | undefined>;

/** Limits `RATE_LIMIT_CREATES_PER_MINUTE` requests per client; counts nothing when RATE_LIMIT_ENABLED is false. */
export function createLimiter(deps: RateLimitDeps): CreateLimiter {
  const { config, redis, log } = deps;
  const limit = config.RATE_LIMIT_CREATES_PER_MINUTE;
  // Per deployment, like every other key: a second deployment on the same Redis (a test run, the bench)
  // must not spend this one's windows.
  const keyPrefix = `${deploymentNames(config).rateLimitPrefix}:create:`;
  let lastWarn = 0;
  return async (p, ip) => {
    if (!config.RATE_LIMIT_ENABLED) return undefined;
    // Names are hashed so they never appear in Redis; anonymous callers are told apart by address.
    const client =
      p && !p.anonymous
        ? `key:${createHash('sha256').update(p.keyId === null ? `name:${p.name}` : `id:${p.keyId}`).digest('hex').slice(0, 32)}`
        : `ip:${ip()}`;
    let count: number;
    let ttlMs: number;
    try {
      const reply = (await redis.eval(HIT, 1, keyPrefix + client, String(WINDOW_MS))) as [number, number];
      [count, ttlMs] = reply;
    } catch (err) {
      if (Date.now() - lastWarn > 5000) {
        lastWarn = Date.now();
        log.warn({ err: (err as Error).message }, 'rate limit unavailable; allowing request');
      }
      return undefined;
    }
    return {
      headers: { 'RateLimit-Limit': String(limit), 'RateLimit-Remaining': String(Math.max(0, limit - count)) },
      refusal: count > limit ? tooManyRequests(Math.max(1, Math.ceil(ttlMs / 1000))) : undefined,
    };
  };
}

/** The limiter as route middleware: the headers on the response, the 429 thrown. */
export function rateLimitCreates(limiter: CreateLimiter): Middleware<AppState> {
  return async (ctx, next) => {
    const outcome = await limiter(ctx.state.principal, () => ctx.ip);
    if (outcome) {
      ctx.set(outcome.headers);
      if (outcome.refusal) throw outcome.refusal;
    }
    await next();
  };
}
