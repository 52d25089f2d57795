/**
 * The keygen's promise under failure: 4 processes draw 1,000,000 codes while the queue Redis is flushed and
 * the keygen worker is SIGKILLed and restarted midway. Zero duplicates, every code well-formed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis } from '../../infra/clients';
import { createPg } from '../../db/client';
import { createCodec } from '../../queues/keygen/codec';
import type { KeygenStats } from '../../queues/keygen/keygen';
import { dropAllocatorKey, keygenTestConfig } from '../helpers/keygen';
import type { DrawerMessage } from '../helpers/keygen-drawer';

const ROOT = path.resolve(__dirname, '../..');
const PROCESSES = 4;
const PER_PROCESS = 250_000;
const TOTAL = PROCESSES * PER_PROCESS;
const CODE = /^[0-9a-zA-Z]{7}$/;
// A Redis database of its own on the shared queue instance: FLUSHDB here cannot touch anyone else's data.
const REDIS_DB = 11;

/** Runs `script` under tsx as a single node process (so SIGKILL hits the process that holds the work). */
function tsx(script: string, args: string[], env: NodeJS.ProcessEnv, ipc = false): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env,
    stdio: ipc ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
}

describe('keygen under chaos (integration)', function () {
  this.timeout(180_000);
  const queueUrl = new URL(keygenTestConfig().QUEUE_REDIS_URL);
  queueUrl.pathname = `/${REDIS_DB}`;
  const config = keygenTestConfig({ QUEUE_REDIS_URL: queueUrl.toString(), KEYGEN_REFILL_TIMEOUT_MS: '1000' });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: config.DATABASE_URL,
    QUEUE_REDIS_URL: config.QUEUE_REDIS_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    ID_ALLOCATOR_KEY: config.ID_ALLOCATOR_KEY,
    ID_BLOCK_SIZE: String(config.ID_BLOCK_SIZE),
    KEYGEN_REFILL_TIMEOUT_MS: String(config.KEYGEN_REFILL_TIMEOUT_MS),
    SHORT_CODE_KEY: config.SHORT_CODE_KEY,
  };
  const children = new Set<ChildProcess>();
  const stderr: string[] = [];

  const startWorker = async (): Promise<ChildProcess> => {
    const worker = tsx('queues/keygen/worker.ts', [], { ...env, LOG_LEVEL: 'info' });
    children.add(worker);
    worker.stderr?.on('data', (d: Buffer) => stderr.push(`worker: ${d.toString()}`));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`keygen worker not ready in 30 s: ${out}`)), 30_000);
      worker.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (!out.includes('keygen worker ready')) return;
        clearTimeout(timer);
        resolve();
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`keygen worker exited ${code}: ${out}`));
      });
    });
    return worker;
  };

  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const redis = createRedis(config, 'queue');
    await redis.flushdb().catch(() => undefined);
    redis.disconnect();
    await dropAllocatorKey(config);
  });

  it('draws 1,000,000 codes in 4 processes with 0 duplicates while Redis is flushed and the worker is killed', async () => {
    const started = Date.now();
    let worker = await startWorker();
    const seen = new Set<string>();
    let received = 0;
    let malformed = 0;
    const latest = new Map<number, KeygenStats>();
    const done = new Map<number, KeygenStats>();
    const chaos: { at?: number; restartedAt?: number; queueBlocksBefore?: number } = {};

    const drawers = Array.from({ length: PROCESSES }, (_, i) => {
      const child = tsx('test/helpers/keygen-drawer.ts', [String(PER_PROCESS), '60'], env, true);
      children.add(child);
      child.stderr?.on('data', (d: Buffer) => stderr.push(`drawer ${i}: ${d.toString()}`));
      child.on('message', (msg: DrawerMessage) => {
        if (msg.type === 'done') return void done.set(i, msg.stats);
        latest.set(i, msg.stats);
        for (const code of msg.codes) {
          if (!CODE.test(code)) malformed++;
          seen.add(code);
        }
        received += msg.codes.length;
      });
      return new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    });

    // Midway: lose every queue key at once, and kill the worker without letting it finish anything.
    while (received < TOTAL * 0.25) await sleep(20);
    chaos.at = received;
    const chaosSeconds = (Date.now() - started) / 1000;
    chaos.queueBlocksBefore = [...latest.values()].reduce((s, st) => s + st.blocks.queue, 0);
    const redis = createRedis(config, 'queue');
    assert.equal(await redis.flushdb(), 'OK');
    redis.disconnect();
    worker.kill('SIGKILL');
    await sleep(2000);
    worker = await startWorker();
    chaos.restartedAt = received;
    const backSeconds = (Date.now() - started) / 1000;

    const exitCodes = await Promise.all(drawers);
    worker.kill('SIGTERM');
    const elapsed = (Date.now() - started) / 1000;

    assert.deepEqual(exitCodes, [0, 0, 0, 0], stderr.join(''));
    assert.equal(received, TOTAL);
    assert.equal(malformed, 0, 'every code is 7 characters of 0-9a-zA-Z');
    assert.equal(TOTAL - seen.size, 0, 'duplicate codes');
    assert.ok(chaos.restartedAt < TOTAL * 0.9, `the chaos must land midway (restart at ${chaos.restartedAt})`);

    const stats = [...done.values()];
    const sum = (f: (s: KeygenStats) => number) => stats.reduce((s, st) => s + f(st), 0);
    const blocks = { queue: sum((s) => s.blocks.queue), direct: sum((s) => s.blocks.direct) };
    assert.ok(blocks.direct > 0, 'requesters fell back to PostgreSQL while the worker was down');
    assert.ok(blocks.queue > (chaos.queueBlocksBefore ?? 0), 'the restarted worker served refills again');

    // Every code decodes to an ID the PostgreSQL allocator handed out.
    const { pool } = createPg(config, undefined, { max: 1 });
    const { rows } = await pool.query<{ next_id: string }>('SELECT next_id FROM id_allocator WHERE name = $1', [
      config.ID_ALLOCATOR_KEY,
    ]);
    await pool.end();
    const highWater = Number(rows[0].next_id);
    const codec = createCodec(config.SHORT_CODE_KEY);
    for (const code of seen) assert.ok(codec.decode(code) < highWater);

    console.log(
      `      ${TOTAL} codes in ${elapsed.toFixed(1)} s; flush + SIGKILL at ${chaosSeconds.toFixed(1)} s (${chaos.at} codes), ` +
        `worker back at ${backSeconds.toFixed(1)} s (${chaos.restartedAt} codes); ` +
        `blocks via queue ${blocks.queue}, direct ${blocks.direct}; ${highWater / config.ID_BLOCK_SIZE} blocks reserved`,
    );
    assert.ok(elapsed < 180);
  });
});
