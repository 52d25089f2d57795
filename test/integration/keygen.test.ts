/** Keygen against the real stack: PostgreSQL allocator, BullMQ refills, fallbacks, and the 503 when all is down. */
import assert from 'node:assert/strict';
import type { Job } from 'bullmq';
import { HttpError } from '../../api/errors';
import { createPg } from '../../db/client';
import { createLogger } from '../../observability/logger';
import { registry } from '../../observability/metrics';
import { createAllocator, type IdBlock } from '../../queues/keygen/allocator';
import { createCodec } from '../../queues/keygen/codec';
import { createKeygenProcessor } from '../../queues/keygen/processor';
import { refillJobId, type RefillData } from '../../queues/keygen/queue';
import { KEYGEN_REFILL_JOB } from '../../queues/names';
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

async function draw(h: KeygenHarness, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await h.keygen.nextCode());
  return out;
}

describe('keygen (integration)', function () {
  this.timeout(60_000);
  const config = keygenTestConfig();
  const log = createLogger('keygen-test', config.LOG_LEVEL);
  const cleanups: Array<() => Promise<unknown>> = [];
  const codec = createCodec(config.SHORT_CODE_KEY);

  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });
  after(async () => {
    await obliterateKeygenQueue(config);
    await dropAllocatorKey(config);
  });

  it('allocator: concurrent reservations get disjoint, gap-free ranges from 0', async () => {
    const cfg = keygenTestConfig();
    const { pool } = createPg(cfg, log, { max: 8 });
    cleanups.push(() => pool.end(), () => dropAllocatorKey(cfg));
    const allocator = createAllocator({ pool, key: cfg.ID_ALLOCATOR_KEY });
    const blocks = await Promise.all(Array.from({ length: 60 }, () => allocator.reserve(1000)));
    blocks.sort((a, b) => a.start - b.start);
    assert.equal(blocks[0].start, 0);
    for (let i = 0; i < blocks.length; i++) {
      assert.equal(blocks[i].end - blocks[i].start, 1000);
      if (i > 0) assert.equal(blocks[i].start, blocks[i - 1].end, 'ranges must neither overlap nor leave gaps');
    }
  });

  it('draws codes through the refill queue; jobs have deterministic ids and return {start, end}', async () => {
    const worker = startKeygenWorker(config);
    const h = buildKeygen(config);
    cleanups.push(() => worker.close(), () => h.close());
    await h.keygen.start();
    const codes = await draw(h, 5500);
    const stats = h.keygen.stats();
    assert.ok(stats.blocks.queue >= 6, `blocks via queue: ${JSON.stringify(stats)}`);
    assert.equal(stats.blocks.direct, 0);
    assert.equal(new Set(codes).size, codes.length, 'duplicate code');
    for (const c of codes) assert.match(c, CODE);

    const job = await h.queue.getJob(refillJobId(stats.processId, 1));
    assert.ok(job, 'the first refill job is kept for inspection');
    assert.equal(job.name, KEYGEN_REFILL_JOB);
    const block = job.returnvalue as IdBlock;
    assert.equal(block.end - block.start, 1000);
    // The first refill's block is the first one handed out: its codes decode into that range.
    const firstIds = codes.slice(0, 1000).map((c) => codec.decode(c));
    assert.ok(firstIds.every((id) => id >= block.start && id < block.end));

    const metrics = await registry.metrics();
    assert.match(metrics, /^keygen_blocks_reserved_total\{source="queue"\} [1-9]\d*$/m);
    assert.match(metrics, /^keygen_pool_ids [1-9]\d*$/m);
    assert.match(metrics, /^keygen_refill_duration_seconds_count\{source="queue"\} [1-9]\d*$/m);
  });

  it('falls back to PostgreSQL when no worker serves the refill in time, leaving the job visible', async () => {
    const cfg = keygenTestConfig({ KEYGEN_REFILL_TIMEOUT_MS: '300' });
    const h = buildKeygen(cfg);
    cleanups.push(() => h.close(), () => h.queue.obliterate({ force: true }), () => dropAllocatorKey(cfg));
    const started = Date.now();
    await h.keygen.start();
    assert.ok(Date.now() - started < 5000);
    const codes = await draw(h, 1500);
    assert.equal(new Set(codes).size, 1500);
    const stats = h.keygen.stats();
    assert.equal(stats.failures.queue, 1);
    assert.match(await registry.metrics(), /^keygen_refill_failures_total\{source="queue"\} [1-9]\d*$/m);
    assert.ok(stats.blocks.direct >= 2, JSON.stringify(stats));
    const waiting = await h.queue.getJobs(['waiting']);
    assert.ok(waiting.some((j) => j.id === refillJobId(stats.processId, 1)), 'the unserved refill stays queued');
  });

  it('with the queue Redis down, codes come from PostgreSQL; with PostgreSQL down too, a 503; never a duplicate', async () => {
    const worker = startKeygenWorker(config);
    const healthy = buildKeygen(config);
    const noQueue = buildKeygen({ ...config, QUEUE_REDIS_URL: `redis://127.0.0.1:${DEAD_PORT}/0` });
    const nothing = buildKeygen({
      ...config,
      QUEUE_REDIS_URL: `redis://127.0.0.1:${DEAD_PORT}/0`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${DEAD_PORT}/linkhop_test`,
    });
    cleanups.push(() => worker.close(), () => healthy.close(), () => noQueue.close(), () => nothing.close());
    await Promise.all([healthy.keygen.start(), noQueue.keygen.start(), nothing.keygen.start()]);

    // Interleave the two working sources so their blocks alternate in the allocator.
    const codes: string[] = [];
    for (let round = 0; round < 6; round++) {
      codes.push(...(await draw(noQueue, 700)), ...(await draw(healthy, 700)));
    }
    assert.equal(new Set(codes).size, codes.length, 'duplicate code across queue and direct sources');
    assert.ok(noQueue.keygen.stats().blocks.direct >= 4);
    assert.equal(noQueue.keygen.stats().blocks.queue, 0);
    assert.ok(healthy.keygen.stats().blocks.queue >= 4);

    await assert.rejects(nothing.keygen.nextCode(), (err: unknown) => {
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 503);
      assert.equal(err.detail, 'Short code generator unavailable');
      return true;
    });
    assert.equal(nothing.keygen.stats().issued, 0);
  });

  it('fails a malformed refill at once (UnrecoverableError) and keeps it in the failed list', async () => {
    const cfg = keygenTestConfig();
    const worker = startKeygenWorker(cfg);
    const h = buildKeygen(cfg);
    cleanups.push(() => worker.close(), () => h.close(), () => h.queue.obliterate({ force: true }));
    const bad = { processId: 'x', seq: 1, size: -5 } as RefillData;
    const job = await h.queue.add(KEYGEN_REFILL_JOB, bad, { jobId: 'keygen-refill:bad:1' });
    await assert.rejects(job.waitUntilFinished(h.events, 10_000), /invalid refill request/);
    const failed = await h.queue.getJob('keygen-refill:bad:1');
    assert.equal(await failed?.getState(), 'failed');
    assert.equal(failed?.attemptsMade, 1, 'bad input is not retried');
  });

  it('re-running a refill job returns the block it already reserved', async () => {
    const cfg = keygenTestConfig();
    const h = buildKeygen(cfg);
    cleanups.push(() => h.close(), () => h.queue.obliterate({ force: true }), () => dropAllocatorKey(cfg));
    const allocator = createAllocator({ pool: h.pool, key: cfg.ID_ALLOCATOR_KEY });
    const processor = createKeygenProcessor({ allocator, log, maxBlockSize: 10_000 });
    const job = (await h.queue.add(KEYGEN_REFILL_JOB, { processId: 'p', seq: 7, size: 1000 }, {
      jobId: refillJobId('p', 7),
    })) as Job<RefillData, IdBlock>;
    const first = await processor(job, 'token');
    const again = await processor(job, 'token');
    assert.deepEqual(again, first);
    assert.deepEqual(await allocator.reserve(1000), { start: first.end, end: first.end + 1000 }, 'no block burnt');
  });
});
