/**
 * The click pipeline's building blocks against real Redis and PostgreSQL: aggregation counts each record
 * once (redelivered batches, duplicated click ids and record ids, both formats side by side), flush
 * activities apply each batch once, and the ledger's
 * read stays exact (never down, never above what was sent) while flushes run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createFlushActivities } from '../../activities/flush-clicks';
import { linkCacheKey } from '../../db/link-cache';
import { createRedis } from '../../infra/clients';
import { createClickLedger, type AggregateBatch, type AggregateRecord } from '../../queues/click-ledger';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';

describe('click pipeline core (Redis + PostgreSQL)', function () {
  this.timeout(120_000);
  let env: PipelineEnv;

  before(async () => {
    env = await createPipelineEnv({}, { kafka: false });
  });
  after(async () => {
    await env?.close();
  });

  const aggregator = () => {
    const ledger = createClickLedger({ redis: env.redisQueue, keys: env.keys, dedupTtlSeconds: 600 });
    return { aggregateClicks: (batch: AggregateBatch) => ledger.aggregate('g1', batch) };
  };
  /** Format-1 records: one click each, deduplicated by its random click id. */
  const legacy = (code: string, offset: string, clickId: string = randomUUID()): AggregateRecord =>
    ({ format: 'click', clickId, codes: [code], counts: [1], total: 1, offset });
  const clicks = (codes: string[], firstOffset: number) => codes.map((code, i) => legacy(code, String(firstOffset + i)));
  /** A packed record of `counts` from producer `producer`. */
  const packed = (producer: string, seq: number, offset: string, counts: Record<string, number>): AggregateRecord => {
    const codes = Object.keys(counts);
    const n = codes.map((c) => counts[c]);
    return { format: 'packed', id: { producer, seq }, codes, counts: n, total: n.reduce((a, b) => a + b, 0), offset };
  };

  it('counts a redelivered batch and a click sent twice only once', async () => {
    const agg = aggregator();
    const batch = { topic: 't', partition: 0, lastOffset: '4', records: clicks(['a', 'a', 'b', 'a', 'b'], 0) };
    assert.deepEqual(await agg.aggregateClicks(batch), { counted: 5, duplicates: 0, redelivered: 0 });
    assert.deepEqual(await agg.aggregateClicks(batch), { counted: 0, duplicates: 0, redelivered: 5 });
    // A partly redelivered batch overlaps the stored offset; a retried send puts a click at a new offset.
    const overlap = {
      topic: 't',
      partition: 0,
      lastOffset: '7',
      records: [
        { ...batch.records[4], offset: '4' },
        legacy('b', '5'),
        { ...batch.records[0], offset: '6' },
        legacy('c', '7'),
      ],
    };
    assert.deepEqual(await agg.aggregateClicks(overlap), { counted: 2, duplicates: 1, redelivered: 1 });
    // Another partition's offsets are independent.
    const p1 = { topic: 't', partition: 1, lastOffset: '0', records: clicks(['c'], 0) };
    assert.deepEqual(await agg.aggregateClicks(p1), { counted: 1, duplicates: 0, redelivered: 0 });
    assert.deepEqual(await env.redisQueue.hgetall(env.keys.pending), { a: '3', b: '3', c: '2' });
    await env.redisQueue.del(env.keys.pending);
  });

  it('counts a packed record once per record id, next to format-1 records, in one bit per record', async () => {
    const agg = aggregator();
    const producer = `p${randomUUID().slice(0, 8)}`;
    const first = packed(producer, 7, '10', { a: 3, b: 1 });
    const mixed = { topic: 'm', partition: 0, lastOffset: '11', records: [first, legacy('a', '11')] };
    assert.deepEqual(await agg.aggregateClicks(mixed), { counted: 5, duplicates: 0, redelivered: 0 });
    assert.deepEqual(await agg.aggregateClicks(mixed), { counted: 0, duplicates: 0, redelivered: 5 });
    // The same record again under a new offset (a retried send, a drained fallback entry), then new records,
    // one of them in the producer's next bitmap block.
    const again = {
      topic: 'm',
      partition: 0,
      lastOffset: '14',
      records: [{ ...first, offset: '12' }, packed(producer, 8, '13', { b: 2 }), packed(producer, 65_536 + 7, '14', { c: 1 })],
    };
    assert.deepEqual(await agg.aggregateClicks(again), { counted: 3, duplicates: 4, redelivered: 0 });
    assert.deepEqual(await env.redisQueue.hgetall(env.keys.pending), { a: '4', b: '3', c: '1' });
    // Two bitmaps of a few bytes each, with the dedup TTL.
    const block0 = env.keys.seenRecords(producer, 0);
    assert.equal(await env.redisQueue.getbit(block0, 7), 1);
    assert.equal(await env.redisQueue.getbit(block0, 9), 0);
    assert.equal(await env.redisQueue.getbit(env.keys.seenRecords(producer, 1), 7), 1);
    assert.ok((await env.redisQueue.strlen(block0)) <= 2);
    const ttl = await env.redisQueue.ttl(block0);
    assert.ok(ttl > 500 && ttl <= 600, `ttl ${ttl}`);
    await env.redisQueue.del(env.keys.pending);
  });

  it('applies a flush batch once, resumes an unfinished one and invalidates cached links', async () => {
    const redisCache = createRedis(env.config, 'cache');
    try {
      const [x, y, gone] = await env.createLinks(3);
      await env.pool.query('DELETE FROM urls WHERE short_code = $1', [gone]);
      const flush = createFlushActivities({ redisQueue: env.redisQueue, redisCache, pool: env.pool, keys: env.keys });
      assert.equal(await flush.snapshotClicks(), null, 'nothing pending, nothing to flush');
      await env.redisQueue.hset(env.keys.pending, x, 7, y, 2, gone, 5);
      await redisCache.set(linkCacheKey(x), '{}', 'EX', 60);

      const snap = await flush.snapshotClicks();
      assert.ok(snap && !snap.resumed);
      // A run that failed after the snapshot: the next run gets the same batch back.
      await env.redisQueue.hincrby(env.keys.pending, x, 1);
      assert.deepEqual(await flush.snapshotClicks(), { batchId: snap.batchId, resumed: true });
      await assert.rejects(flush.dropClickSnapshot(snap.batchId), /not applied/);

      assert.deepEqual(await flush.applyClickBatch(snap.batchId), { applied: true, links: 2, clicks: 14 });
      assert.deepEqual(await flush.applyClickBatch(snap.batchId), { applied: false, links: 0, clicks: 0 });
      assert.deepEqual(await flush.invalidateLinks(snap.batchId), { invalidated: 3 });
      assert.equal(await redisCache.exists(linkCacheKey(x)), 0);
      assert.deepEqual(await flush.dropClickSnapshot(snap.batchId), { dropped: true });
      assert.deepEqual(await flush.dropClickSnapshot(snap.batchId), { dropped: false });
      assert.deepEqual(await flush.applyClickBatch(snap.batchId), { applied: false, links: 0, clicks: 0 });
      await assert.rejects(flush.applyClickBatch('not-a-batch'), /invalid flush batch id/);

      assert.deepEqual(Object.fromEntries(await env.clicksByCode([x, y])), { [x]: 7, [y]: 2 });
      const next = await flush.snapshotClicks();
      assert.ok(next && next.batchId !== snap.batchId);
      assert.deepEqual((await flush.applyClickBatch(next.batchId)).clicks, 1);
      await flush.dropClickSnapshot(next.batchId);
      assert.deepEqual(Object.fromEntries(await env.clicksByCode([x])), { [x]: 8 });
    } finally {
      redisCache.disconnect();
    }
  });

  it('keeps stats exact while clicks arrive and flushes run', async () => {
    const redisCache = createRedis(env.config, 'cache');
    // One connection shared by concurrent readers: each read queues between its Redis and its PostgreSQL
    // step, which widens the window in which whole flush cycles slip in (the case the epoch check handles).
    const statsPool = new Pool({ connectionString: env.config.DATABASE_URL, max: 1 });
    statsPool.on('error', () => undefined);
    try {
      const [code] = await env.createLinks(1);
      const agg = aggregator();
      const flush = createFlushActivities({ redisQueue: env.redisQueue, redisCache, pool: env.pool, keys: env.keys });
      const stats = createClickLedger({ redis: env.redisQueue, pool: statsPool, keys: env.keys });
      const total = 20_000;
      let sent = 0;
      let done = false;

      const produce = (async () => {
        for (let offset = 100; sent < total; offset += 10) {
          const batch = clicks(Array(10).fill(code) as string[], offset);
          await agg.aggregateClicks({ topic: 'stats', partition: 0, lastOffset: String(offset + 9), records: batch });
          sent += 10;
        }
      })();
      let flushes = 0;
      const flusher = (async () => {
        while (!done) {
          const snap = await flush.snapshotClicks();
          if (snap) {
            await flush.applyClickBatch(snap.batchId);
            await flush.dropClickSnapshot(snap.batchId);
            flushes++;
          }
          // About a hundred flushes a second: far more often than any real interval.
          await new Promise((r) => setTimeout(r, 8));
        }
      })();
      let reads = 0;
      const reader = async () => {
        let last = 0;
        while (!done) {
          const before = sent;
          const read = await stats.read(code);
          assert.ok(read);
          const after = sent;
          // One batch may be aggregated before `sent` counts it.
          assert.ok(read.total <= after + 10, `stats ${read.total} above the ${after} clicks sent`);
          assert.ok(read.total >= last, `stats went down: ${last} -> ${read.total}`);
          assert.ok(read.total >= before, `stats ${read.total} missed clicks aggregated before the read (${before})`);
          last = read.total;
          reads++;
        }
      };
      const readers = Array.from({ length: 6 }, reader);
      // Any loop failing stops the others, so an assertion fails the test instead of hanging it.
      const stopAll = (err: unknown) => {
        done = true;
        throw err;
      };
      await Promise.all([
        produce.catch(stopAll),
        flusher.catch(stopAll),
        ...readers.map((r) => r.catch(stopAll)),
        (async () => {
          await produce;
          // Until the flushes have moved every click into PostgreSQL (bounded by the test timeout).
          while (!done && (await env.clicksByCode([code])).get(code) !== total) {
            await new Promise((r) => setTimeout(r, 20));
          }
          done = true;
        })(),
      ]);

      assert.ok(flushes > 10, `only ${flushes} flushes ran`);
      assert.ok(reads > 50, `only ${reads} stats reads`);
      assert.equal((await stats.read(code))?.total, total);
      assert.equal((await env.clicksByCode([code])).get(code), total);
    } finally {
      await statsPool.end();
      redisCache.disconnect();
    }
  });
});
