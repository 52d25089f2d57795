/**
 * Keygen against the real stack: the PostgreSQL allocator, the block list the worker keeps topped up, the
 * API side popping it, the direct reservation when it is empty, and the keygen's own error when all is down.
 */
import assert from 'node:assert/strict';
import type { Job } from 'bullmq';
import { createPg } from '../../db/client';
import { waitUntil } from '../../infra/wait';
import { createLogger } from '../../observability/logger';
import { registry } from '../../observability/metrics';
import { createAllocator } from '../../queues/keygen/allocator';
import { decodeBlock } from '../../queues/keygen/blocks';
import { createCodec } from '../../queues/keygen/codec';
import { KeygenUnavailableError } from '../../queues/keygen/errors';
import { createKeygenProcessor } from '../../queues/keygen/processor';
import { LOW_WATERMARK_JOB_ID, REFILL_SCHEDULER_ID, ensureRefillScheduler, type RefillData } from '../../queues/keygen/queue';
import { KEYGEN_REFILL_JOB, deploymentNames } from '../../queues/names';
import { spyOn } from '../helpers/api';
import {
  buildKeygen,
  DEAD_PORT,
  dropAllocatorKey,
  keygenTestConfig,
  obliterateKeygenQueue,
  startKeygenWorker,
  type KeygenHarness,
} from '../helpers/keygen';

const CODE = /^[0-9a-zA-Z]{7}$/;
const ALLOCATOR_SQL = /INSERT INTO id_allocator/;

async function draw(h: KeygenHarness, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await h.keygen.nextCode());
  return out;
}

describe('keygen (integration)', function () {
  this.timeout(60_000);
  const log = createLogger('keygen-test', 'silent');
  const cleanups: Array<() => Promise<unknown>> = [];
  /** A config of its own for each test; its queue, list and allocator row are removed afterwards. */
  const isolated = (overrides: Record<string, string> = {}) => {
    const cfg = keygenTestConfig(overrides);
    cleanups.push(() => obliterateKeygenQueue(cfg), () => dropAllocatorKey(cfg));
    return cfg;
  };
  const listLength = (h: KeygenHarness) => h.redis.llen(deploymentNames(h.config).keygenBlocks);

  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  it('allocator: concurrent reservations get disjoint, gap-free ranges from 0', async () => {
    const cfg = isolated();
    const { pool } = createPg(cfg, log, { max: 8 });
    cleanups.push(() => pool.end());
    const allocator = createAllocator({ pool, key: cfg.ID_ALLOCATOR_KEY });
    const blocks = await Promise.all(Array.from({ length: 60 }, () => allocator.reserve(1000)));
    blocks.sort((a, b) => a.start - b.start);
    assert.equal(blocks[0].start, 0);
    for (let i = 0; i < blocks.length; i++) {
      assert.equal(blocks[i].end - blocks[i].start, 1000);
      if (i > 0) assert.equal(blocks[i].start, blocks[i - 1].end, 'ranges must neither overlap nor leave gaps');
    }
  });

  it('the worker keeps the block list topped up; a process pops its blocks without any SQL of its own', async () => {
    const cfg = isolated({ KEYGEN_RESERVE_BLOCKS: '8' });
    const worker = startKeygenWorker(cfg);
    const h = buildKeygen(cfg);
    cleanups.push(() => worker.close(), () => h.close());
    await ensureRefillScheduler(h.queue, 60);
    const schedulers = await h.queue.getJobSchedulers();
    assert.ok(schedulers.some((s) => s.key === REFILL_SCHEDULER_ID), 'the scheduler is visible on the queue');
    // The scheduler's first run fills the list.
    await waitUntil(async () => (await listLength(h)) === 8, { timeoutMs: 20_000, describe: async () => `list ${await listLength(h)}` });
    const listed = (await h.redis.lrange(deploymentNames(cfg).keygenBlocks, 0, -1)).map(decodeBlock);
    assert.ok(listed.every((b) => b && b.end - b.start === 1000), JSON.stringify(listed));

    const spy = spyOn(h.redis, h.pool);
    cleanups.push(async () => spy.restore());
    await h.keygen.start();
    const codes = await draw(h, 5500);
    const stats = h.keygen.stats();
    assert.ok(stats.blocks.queue >= 6, `blocks via the list: ${JSON.stringify(stats)}`);
    assert.equal(stats.blocks.direct, 0);
    assert.equal(spy.sql.filter((q) => ALLOCATOR_SQL.test(q)).length, 0, 'no reservation of its own');
    assert.equal(new Set(codes).size, codes.length, 'duplicate code');
    for (const c of codes) assert.match(c, CODE);
    // The first block popped is the first one handed out: its codes decode into that range.
    const codec = createCodec(cfg.SHORT_CODE_KEY);
    const first = listed[0]!;
    assert.ok(codes.slice(0, 1000).every((c) => codec.decode(c) >= first.start && codec.decode(c) < first.end));

    const metrics = await registry.metrics();
    assert.match(metrics, /^keygen_blocks_reserved_total\{source="queue"\} [1-9]\d*$/m);
    assert.match(metrics, /^keygen_pool_ids [1-9]\d*$/m);
  });

  it('with the list empty and no worker, a create takes one direct reservation and only requests a refill', async () => {
    const cfg = isolated({ KEYGEN_RESERVE_BLOCKS: '4' });
    const h = buildKeygen(cfg);
    cleanups.push(() => h.close());
    await waitUntil(() => h.listRedis.status === 'ready', { timeoutMs: 10_000 });
    const spy = spyOn(h.redis, h.pool);
    cleanups.push(async () => spy.restore());

    // No worker runs: a keygen that waited on a refill would never get here.
    const code = await h.keygen.nextCode();
    assert.match(code, CODE);
    const stats = h.keygen.stats();
    assert.deepEqual(stats.blocks, { queue: 0, direct: 1 });
    assert.deepEqual(spy.sql.filter((q) => ALLOCATOR_SQL.test(q)).length, 1, 'exactly one PostgreSQL reservation');
    // The refill was asked for, not awaited: the low-watermark job is still waiting for a worker.
    await waitUntil(async () => (await h.queue.getJob(LOW_WATERMARK_JOB_ID)) !== undefined, { timeoutMs: 5000 });
    assert.equal(await (await h.queue.getJob(LOW_WATERMARK_JOB_ID))?.getState(), 'waiting');
    assert.equal(stats.refillsRequested, 1);

    // A worker arriving later serves that job; the process's next block comes from the list.
    const worker = startKeygenWorker(cfg);
    cleanups.push(() => worker.close());
    await waitUntil(async () => (await listLength(h)) >= 4, { timeoutMs: 20_000, describe: async () => `list ${await listLength(h)}` });
    const more = await draw(h, 1500);
    assert.ok(h.keygen.stats().blocks.queue >= 1, JSON.stringify(h.keygen.stats()));
    assert.equal(new Set([code, ...more]).size, 1501);
  });

  it('with the queue Redis down, codes come from PostgreSQL; with PostgreSQL down too, a KeygenUnavailableError', async () => {
    const config = isolated();
    const worker = startKeygenWorker(config);
    const healthy = buildKeygen(config);
    const noQueue = buildKeygen({ ...config, QUEUE_REDIS_URL: `redis://127.0.0.1:${DEAD_PORT}/0` });
    const nothing = buildKeygen({
      ...config,
      QUEUE_REDIS_URL: `redis://127.0.0.1:${DEAD_PORT}/0`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${DEAD_PORT}/linkhop_test`,
    });
    cleanups.push(() => worker.close(), () => healthy.close(), () => noQueue.close(), () => nothing.close());
    await ensureRefillScheduler(healthy.queue, 60);
    await Promise.all([healthy.keygen.start(), noQueue.keygen.start(), nothing.keygen.start()]);

    // Interleave the two working sources so their blocks alternate in the allocator.
    const codes: string[] = [];
    for (let round = 0; round < 6; round++) {
      codes.push(...(await draw(noQueue, 700)), ...(await draw(healthy, 700)));
    }
    assert.equal(new Set(codes).size, codes.length, 'duplicate code across list and direct sources');
    assert.ok(noQueue.keygen.stats().blocks.direct >= 4);
    assert.equal(noQueue.keygen.stats().blocks.queue, 0);
    assert.ok(healthy.keygen.stats().blocks.queue >= 1, JSON.stringify(healthy.keygen.stats()));

    await assert.rejects(nothing.keygen.nextCode(), (err: unknown) => {
      assert.ok(err instanceof KeygenUnavailableError);
      return true;
    });
    assert.equal(nothing.keygen.stats().issued, 0);
  });

  it('fails a malformed refill at once (UnrecoverableError) and keeps it in the failed list', async () => {
    const cfg = isolated();
    const worker = startKeygenWorker(cfg);
    const h = buildKeygen(cfg);
    cleanups.push(() => worker.close(), () => h.close());
    const bad = { trigger: 'please' } as unknown as RefillData;
    await h.queue.add(KEYGEN_REFILL_JOB, bad, { jobId: 'keygen-refill-bad' });
    const state = async () => (await h.queue.getJob('keygen-refill-bad'))?.getState();
    await waitUntil(async () => (await state()) === 'failed', { timeoutMs: 10_000, describe: async () => `state ${await state()}` });
    const failed = await h.queue.getJob('keygen-refill-bad');
    assert.match(failed?.failedReason ?? '', /invalid refill request/);
    assert.equal(failed?.attemptsMade, 1, 'bad input is not retried');
  });

  it('re-running a refill pushes only what the list lacks, and burns no block', async () => {
    const cfg = isolated();
    const h = buildKeygen(cfg);
    cleanups.push(() => h.close());
    const allocator = createAllocator({ pool: h.pool, key: cfg.ID_ALLOCATOR_KEY });
    const listKey = deploymentNames(cfg).keygenBlocks;
    const processor = createKeygenProcessor({ allocator, redis: h.redis, listKey, depth: 3, blockSize: 1000, log });
    const job = { name: KEYGEN_REFILL_JOB, data: { trigger: 'low-watermark' }, id: 'x' } as Job<RefillData, number>;
    assert.equal(await processor(job, 'token'), 3);
    assert.equal(await processor(job, 'token'), 0);
    assert.equal(await h.redis.llen(listKey), 3);
    assert.deepEqual(await allocator.reserve(1000), { start: 3000, end: 4000 }, 'no block burnt');
  });
});
