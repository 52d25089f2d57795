/**
 * The real API for integration tests: createApiRuntime against the `_test` database and the local stack,
 * the server request handler over it, supertest on the listening server, plus counters of the real Redis commands and SQL it sends.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import supertest from 'supertest';
import { createRequestHandler } from '../../api/app';
import { createHttpServer } from '../../api/http-server';
import { createApiRuntime, type ApiRuntime } from '../../api/wiring';
import { runMigrations } from '../../db/migrate';
import type { Config } from '../../infra/config';
import { waitUntil } from '../../infra/wait';
import { createLogger } from '../../observability/logger';
import { clickCounterEnv, startClickCounter, type ClickCounter } from './click-counter';
import { testConfig, uniqueSuffix } from './test-config';

export const TEST_BASE_URL = 'http://sho.rt';

export interface ApiHarness {
  config: Config;
  runtime: ApiRuntime;
  /** A supertest agent over one listening server (created once, so concurrent requests share it). */
  http: supertest.Agent;
  server: Server;
  /** The counting consumer aggregating this API's clicks (only when started with counter: true). */
  counter?: ClickCounter;
  close(): Promise<void>;
}

/** Config for an API under test: shared allocator key (codes never repeat in the db), own queue and click prefixes. */
export function apiTestConfig(overrides: Record<string, string> = {}): Config {
  const suffix = uniqueSuffix();
  return testConfig({
    BASE_URL: TEST_BASE_URL,
    RATE_LIMIT_ENABLED: 'false',
    // Its own deployment names; no keygen worker serves them, so blocks are reserved from PostgreSQL.
    ...clickCounterEnv(suffix),
    ...overrides,
  });
}

/**
 * Migrates the test database, starts a click counter when `counter` is true (it takes about 5 s; without one
 * nothing counts this API's clicks), builds the runtime and app, and listens on an ephemeral port.
 */
export async function startApi(
  overrides: Record<string, string> = {},
  opts: { migrate?: boolean; counter?: boolean } = {},
): Promise<ApiHarness> {
  const config = apiTestConfig(overrides);
  if (opts.migrate !== false) await runMigrations(config, config.DATABASE_URL);
  // Before the runtime exists: the counter's group starts at the topic's end, so no click of this API precedes it.
  const counter = opts.counter ? await startClickCounter(config) : undefined;
  const runtime = createApiRuntime(config, createLogger('api-test', config.LOG_LEVEL));
  // The production server, request handler, timeouts and connection cap, so tests see what clients see.
  const server = createHttpServer(config, createRequestHandler(runtime.deps));
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    // The runtime flushes its clicks to Kafka first; the counter goes last.
    await runtime.close();
    await counter?.close();
  };
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await runtime.deps.resolver.ready();
  } catch (err) {
    await close();
    throw err;
  }
  return { config, runtime, http: supertest.agent(server), server, counter, close };
}

/**
 * Waits (bounded) until /api/stats shows `expected` clicks for `code`, failing at once on any reading above it
 * or below an earlier one; then flushes the sink, waits until the counter has aggregated everything on the
 * topic, and checks the count once more, so a click counted twice late still fails.
 */
export async function expectClicks(api: ApiHarness, code: string, expected: number, timeoutMs = 10_000): Promise<void> {
  const counter = api.counter;
  assert.ok(counter, 'this API runs no click counter (start it with counter: true)');
  const seen: number[] = [];
  const read = async (): Promise<number> => {
    const res = await api.http.get(`/api/stats/${code}`);
    assert.equal(res.status, 200, res.text);
    const clicks = res.body.clicks as number;
    const previous = seen.at(-1) ?? 0;
    if (seen.length === 0 || clicks !== previous) seen.push(clicks);
    assert.ok(clicks <= expected, `stats read ${clicks} > ${expected} clicks (readings: ${seen.join(' -> ')})`);
    assert.ok(clicks >= previous, `stats went back from ${previous} to ${clicks} (readings: ${seen.join(' -> ')})`);
    return clicks;
  };
  const reached = await eventually(async () => (await read()) === expected, timeoutMs);
  assert.ok(reached, `stats did not reach ${expected} clicks in ${timeoutMs} ms (readings: ${seen.join(' -> ')})`);
  await api.runtime.deps.clicks.flush();
  await counter.settle();
  assert.equal(await read(), expected, 'the count moved once every click was aggregated');
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

/**
 * GETs `code` until the API's LRU holds it (found or missing) and returns how many GETs that took (0 if it
 * already did). One lookup is not always enough: an eviction of any code, such as another process creating
 * links on the shared cache Redis, makes the resolver discard what a lookup in flight read.
 */
export async function cacheInLru(api: ApiHarness, code: string, maxRequests = 20): Promise<number> {
  let requests = 0;
  while (api.runtime.deps.resolver.peek(code) === undefined) {
    assert.ok(requests < maxRequests, `${code} still not in the LRU after ${requests} requests`);
    await api.http.get(`/${code}`).redirects(0);
    requests++;
  }
  return requests;
}

/** Polls `check` every 50 ms until it returns true (true) or `timeoutMs` passes (false), for assert.ok. */
export function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<boolean> {
  return waitUntil(check, { timeoutMs, intervalMs: 50 }).then(() => true, () => false);
}
