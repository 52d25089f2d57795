/** Lua scripts run by SHA (EVALSHA), loading the source only when the server does not know it yet. */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

export type RedisScript = (redis: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** Wraps a Lua source; the returned function runs it with KEYS and ARGV. */
export function redisScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
