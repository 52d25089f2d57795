/**
 * The real API for integration tests: createApiRuntime against the `_test` database and the local stack,
 * createApp over it, supertest on app.callback(), plus counters of the real Redis commands and SQL it sends.
 */
import type { Server } from 'node:http';
import http from 'node:http';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import supertest from 'supertest';
import { createApp } from '../../api/app';
import { createApiRuntime, type ApiRuntime } from '../../api/wiring';
import { runMigrations } from '../../db/migrate';
import type { Config } from '../../infra/config';
import { createLogger } from '../../observability/logger';
import { testConfig, uniqueSuffix } from './test-config';

export const TEST_BASE_URL = 'http://sho.rt';

export interface ApiHarness {
  config: Config;
  runtime: ApiRuntime;
  /** A supertest agent over one listening server (created once, so concurrent requests share it). */
  http: supertest.Agent;
  server: Server;
  close(): Promise<void>;
}

/** Config for an API under test: shared allocator key (codes never repeat in the db), own queue prefix. */
export function apiTestConfig(overrides: Record<string, string> = {}): Config {
  return testConfig({
    BASE_URL: TEST_BASE_URL,
    RATE_LIMIT_ENABLED: 'false',
    QUEUE_PREFIX: `test-api-${uniqueSuffix()}`,
    // No keygen worker listens on the private queue prefix: reserve blocks from PostgreSQL quickly.
    KEYGEN_REFILL_TIMEOUT_MS: '100',
    ...overrides,
  });
}

/** Migrates the test database, builds the runtime and app, and listens on an ephemeral port. */
export async function startApi(
  overrides: Record<string, string> = {},
  opts: { migrate?: boolean } = {},
): Promise<ApiHarness> {
  const config = apiTestConfig(overrides);
  if (opts.migrate !== false) await runMigrations(config, config.DATABASE_URL);
  const runtime = createApiRuntime(config, createLogger('api-test', config.LOG_LEVEL));
  const app = createApp(runtime.deps);
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await runtime.deps.resolver.ready();
  return {
    config,
    runtime,
    http: supertest.agent(server),
    server,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await runtime.close();
    },
  };
}

/** A random custom code (letters and digits, `len` long) no earlier run can have taken. */
export function randomCode(len = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = 'T';
  while (out.length < len) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

export interface CommandSpy {
  /** Redis commands as `NAME firstArg`, in order. */
  redis: string[];
  /** SQL texts run through the pool. */
  sql: string[];
  /** Pool checkouts (any query path, drizzle or raw). */
  acquires: number;
  reset(): void;
  restore(): void;
}

/** Counts every command `redis` sends and every query or checkout of `pool`, until restore(). */
export function spyOn(redis: Redis, pool: Pool): CommandSpy {
  const spy = {
    redis: [] as string[],
    sql: [] as string[],
    acquires: 0,
    reset() {
      spy.redis.length = 0;
      spy.sql.length = 0;
      spy.acquires = 0;
    },
    restore() {
      redis.sendCommand = sendCommand;
      pool.query = query;
      pool.off('acquire', onAcquire);
    },
  };
  const sendCommand = redis.sendCommand;
  redis.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const cmd = args[0] as unknown as { name: string; args: unknown[] };
    spy.redis.push(`${cmd.name.toUpperCase()} ${String(cmd.args[0] ?? '')}`);
    return sendCommand.apply(this, args);
  } as Redis['sendCommand'];
  const query = pool.query;
  pool.query = function (this: Pool, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    spy.sql.push(typeof first === 'string' ? first : (first.text ?? ''));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as Pool['query'];
  const onAcquire = () => {
    spy.acquires++;
  };
  pool.on('acquire', onAcquire);
  return spy;
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
