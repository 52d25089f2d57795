/**
 * The keygen's promise under failure: 4 processes draw 1,000,000 codes while the queue Redis is flushed and
 * the keygen worker is SIGKILLed and restarted midway. Zero duplicates, every code well-formed.
 */
import assert from 'node:assert/strict';
import { Child, startProcess } from '../../infra/child';
import { createPg } from '../../db/client';
import { createRedis } from '../../infra/clients';
import { processDef } from '../../infra/processes';
import { waitUntil } from '../../infra/wait';
import { createCodec } from '../../queues/keygen/codec';
import type { KeygenStats } from '../../queues/keygen/keygen';
import { dropAllocatorKey, keygenTestConfig } from '../helpers/keygen';
import type { DrawerMessage } from '../helpers/keygen-drawer';

const PROCESSES = 4;
const PER_PROCESS = 250_000;
const TOTAL = PROCESSES * PER_PROCESS;
const CODE = /^[0-9a-zA-Z]{7}$/;
// A Redis database of its own on the shared queue instance: FLUSHDB here cannot touch anyone else's data.
const REDIS_DB = 11;

describe('keygen under chaos (faults)', function () {
  this.timeout(300_000);
  const queueUrl = new URL(keygenTestConfig().QUEUE_REDIS_URL);
  queueUrl.pathname = `/${REDIS_DB}`;
  const config = keygenTestConfig({ QUEUE_REDIS_URL: queueUrl.toString() });
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: config.DATABASE_URL,
    QUEUE_REDIS_URL: config.QUEUE_REDIS_URL,
    DEPLOYMENT_PREFIX: config.DEPLOYMENT_PREFIX ?? '',
    ID_ALLOCATOR_KEY: config.ID_ALLOCATOR_KEY,
    ID_BLOCK_SIZE: String(config.ID_BLOCK_SIZE),
    SHORT_CODE_KEY: config.SHORT_CODE_KEY,
  };
  const children = new Set<Child>();
  const stderr: string[] = [];

  const startWorker = async (): Promise<Child> => {
    const worker = await startProcess(processDef('keygen-worker'), {
      env: { ...env, LOG_LEVEL: 'info' },
      onLine: (l) => (l.includes('"level":"warn"') || l.includes('"level":"error"') ? stderr.push(`worker: ${l}`) : undefined),
      // A cold TypeScript start while four drawers keep both cores busy.
      timeoutMs: 120_000,
    });
    children.add(worker);
    return worker;
  };

  after(async () => {
    for (const child of children) await child.stop('SIGKILL');
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
    const chaos: { at?: number; restartedAt?: number; queueBlocksBefore?: number; directBefore?: number } = {};
    const sum = (stats: Iterable<KeygenStats>, f: (s: KeygenStats) => number) => [...stats].reduce((s, st) => s + f(st), 0);

    const drawers = Array.from({ length: PROCESSES }, (_, i) => {
      const child = new Child({
        name: `drawer ${i}`,
        entry: 'test/helpers/keygen-drawer.ts',
        args: [String(PER_PROCESS), '200'],
        env,
        ipc: true,
        onLine: (l) => stderr.push(`drawer ${i}: ${l}`),
      });
      children.add(child);
      child.proc.on('message', (msg: DrawerMessage) => {
        if (msg.type === 'done') return void done.set(i, msg.stats);
        latest.set(i, msg.stats);
        for (const code of msg.codes) {
          if (!CODE.test(code)) malformed++;
          seen.add(code);
        }
        received += msg.codes.length;
      });
      return child.exited;
    });

    // Midway: lose every queue key at once (list, scheduler, jobs), and kill the worker without letting it finish.
    await waitUntil(() => received >= TOTAL * 0.25, { timeoutMs: 240_000, intervalMs: 20, describe: () => `${received} codes` });
    chaos.at = received;
    const chaosSeconds = (Date.now() - started) / 1000;
    chaos.queueBlocksBefore = sum(latest.values(), (st) => st.blocks.queue);
    chaos.directBefore = sum(latest.values(), (st) => st.blocks.direct);
    const redis = createRedis(config, 'queue');
    assert.equal(await redis.flushdb(), 'OK');
    redis.disconnect();
    await worker.stop('SIGKILL');
    // With no list and no worker the drawers must carry on from PostgreSQL: wait until they have.
    await waitUntil(() => sum(latest.values(), (st) => st.blocks.direct) > (chaos.directBefore ?? 0), {
      timeoutMs: 60_000,
      intervalMs: 20,
      describe: () => 'no drawer reserved a block from PostgreSQL while the worker was down',
    });
    worker = await startWorker();
    chaos.restartedAt = received;
    const backSeconds = (Date.now() - started) / 1000;

    const exitCodes = await Promise.all(drawers);
    await worker.stop('SIGTERM');
    const elapsed = (Date.now() - started) / 1000;

    assert.deepEqual(exitCodes, Array(PROCESSES).fill(0), stderr.slice(-40).join('\n'));
    assert.equal(received, TOTAL);
    assert.equal(malformed, 0, 'every code is 7 characters of 0-9a-zA-Z');
    assert.equal(TOTAL - seen.size, 0, 'duplicate codes');
    assert.ok(chaos.restartedAt < TOTAL * 0.9, `the chaos must land midway (restart at ${chaos.restartedAt})`);

    const blocks = { queue: sum(done.values(), (s) => s.blocks.queue), direct: sum(done.values(), (s) => s.blocks.direct) };
    assert.ok(blocks.queue > (chaos.queueBlocksBefore ?? 0), 'the restarted worker filled the list again');

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
      `      ${TOTAL} codes in ${elapsed.toFixed(1)} s, ${TOTAL - seen.size} duplicates; flush + SIGKILL at ` +
        `${chaosSeconds.toFixed(1)} s (${chaos.at} codes), worker back at ${backSeconds.toFixed(1)} s ` +
        `(${chaos.restartedAt} codes); blocks from the list ${blocks.queue}, direct ${blocks.direct}; ` +
        `${highWater / config.ID_BLOCK_SIZE} blocks reserved`,
    );
  });
});
