/**
 * The click pipeline under faults, with real processes on the shared stack: while redirects flow, the
 * consumer (SIGKILL), the Temporal worker (SIGKILL), an API (SIGTERM, graceful) and the Kafka broker are
 * killed and brought back in turn; once drained, PostgreSQL and ClickHouse hold exactly the 307s received.
 * A SIGKILLed API could lose its last in-memory batch (a few ms of clicks), so APIs are only SIGTERMed here.
 * The format upgrade: one-click JSON records (format 1) left in the topic and the fallback stream by the
 * previous producer are counted exactly once next to the packed records of the current one.
 *
 * PIPELINE_TEST_CLICKS sets the number of redirects (default 100,000: a few minutes on two cores).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKafka } from '../../infra/clients';
import { startService, stopService } from '../../infra/stack';
import { appendLegacyFallback } from '../../queues/click-fallback';
import { createSafeProducer } from '../../queues/kafka-producer';
import { kafkaNames } from '../../queues/names';
import { median, runRedirectLoad } from '../helpers/load';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { readMetric, startPipeline, waitForCounts, type PipelineProcs } from '../helpers/pipeline-procs';
import { waitUntil } from '../../infra/wait';

const N = Number(process.env.PIPELINE_TEST_CLICKS ?? 100_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('click pipeline under faults (real processes, shared stack)', function () {
  // Bounded: the load itself plus restarts, Kafka's outage and the drain.
  this.timeout(240_000 + N * 4);
  let env: PipelineEnv;
  let procs: PipelineProcs;
  let kafkaDown = false;
  let clickhouseDown = false;

  const restoreKafka = async () => {
    if (!kafkaDown) return;
    await startService('kafka');
    kafkaDown = false;
  };

  before(async function () {
    this.timeout(240_000);
    env = await createPipelineEnv();
    procs = await startPipeline(env, { apis: 2 });
  });
  after(async function () {
    this.timeout(120_000);
    // Other people's tests need the broker: bring it back whatever happened here.
    await restoreKafka();
    if (clickhouseDown) await startService('clickhouse');
    await procs?.stop();
    await env?.close();
  });

  it(`loses and doubles no click while consumer, worker, an API and Kafka are killed (${N} redirects)`, async () => {
    const codes = await env.createLinks(500);
    const log: string[] = [];
    const faults: { at: number; name: string; run: () => Promise<void> }[] = [
      { at: 0.1, name: 'consumer SIGKILL', run: async () => {
        await procs.consumer.kill('SIGKILL');
        await sleep(1000);
        await procs.consumer.start();
      } },
      { at: 0.3, name: 'temporal worker SIGKILL', run: async () => {
        await procs.worker.kill('SIGKILL');
        await sleep(1000);
        await procs.worker.start();
      } },
      { at: 0.5, name: 'api-1 SIGTERM', run: async () => {
        assert.equal(await procs.apis[1].kill('SIGTERM'), 0, procs.apis[1].tail());
        await procs.apis[1].start();
      } },
      { at: 0.7, name: 'kafka stopped', run: async () => {
        kafkaDown = true;
        await stopService('kafka');
        await sleep(3000);
        await restoreKafka();
      } },
    ];
    let next = 0;
    let running: Promise<void> = Promise.resolve();
    let busy = false;
    let received = 0;
    const onProgress = (n: number) => {
      received = n;
      if (busy || next >= faults.length || n < faults[next].at * N) return;
      const fault = faults[next++];
      busy = true;
      const t0 = Date.now();
      log.push(`${fault.name} at ${n} redirects`);
      running = fault.run().finally(() => {
        busy = false;
        log.push(`${fault.name} over after ${Date.now() - t0} ms, at ${received} redirects`);
      });
    };

    const load = await runRedirectLoad({
      targets: procs.liveApiUrls,
      codes,
      total: N,
      concurrency: 32,
      onProgress,
      // Every fault happens under load, even when the load alone would be over sooner.
      keepGoing: () => next < faults.length || busy,
    });
    await running;
    log.push(`load: ${load.received} redirects in ${load.seconds} s (${Math.round(load.received / load.seconds)}/s), ` +
      `${load.failed} refused, p50 ${median(load.latencies).toFixed(2)} ms`);
    assert.equal(next, faults.length, `only ${next} faults ran`);

    const drainStart = Date.now();
    await waitForCounts(env, load.byCode, 300_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${log.join('\n')}\nconsumer:\n${procs.consumer.tail(15)}\nworker:\n${procs.worker.tail(15)}`);
    });
    log.push(`drained ${Date.now() - drainStart} ms after the load`);
    // Still exact a few flushes later: nothing is applied twice after the counts matched.
    await sleep(3000);
    const again = await env.clicksByCode(codes);
    for (const code of codes) assert.equal(again.get(code) ?? 0, load.byCode.get(code) ?? 0, code);
    const total = [...load.byCode.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, load.received);
    console.log(`      ${log.join('\n      ')}`);
  });

  it('answers redirects as fast with Kafka stopped, and loses nothing when it returns', async () => {
    const codes = await env.createLinks(50);
    const byCode = new Map<string, number>();
    const targets = () => procs.apiUrls;
    const phase = (total: number) => runRedirectLoad({ targets, codes, total, concurrency: 4, byCode });
    await phase(2000); // warm-up: LRU, connections, JIT
    const before = await phase(4000);
    const fallbackBefore = await readMetric(procs.apiMetricsUrls[0], 'clicks_fallback_buffered_total');
    kafkaDown = true;
    await stopService('kafka');
    const stoppedAt = Date.now();
    let during;
    try {
      during = await phase(4000);
      // kafkajs gives up on the broker after its own retries; then the batches land in the fallback stream.
      await waitUntil(
        async () => (await readMetric(procs.apiMetricsUrls[0], 'clicks_fallback_buffered_total')) > fallbackBefore,
        { timeoutMs: 60_000, describe: () => 'no click went to the fallback stream while Kafka was down' },
      );
      console.log(`      clicks reached the fallback stream ${Date.now() - stoppedAt} ms after Kafka stopped`);
    } finally {
      await restoreKafka();
    }
    const p50Before = median(before.latencies);
    const p50During = median(during.latencies);
    console.log(`      p50 ${p50Before.toFixed(2)} ms with Kafka, ${p50During.toFixed(2)} ms without`);
    // Same order of latency: the redirect never waits on Kafka (half a millisecond of noise allowed).
    assert.ok(p50During <= p50Before * 1.5 + 0.5, `p50 rose from ${p50Before} to ${p50During} ms`);
    await waitForCounts(env, byCode, 180_000).catch(async (err: Error) => {
      const backlog = await env.redisQueue.xlen(env.keys.fallback);
      throw new Error(`${err.message}\nfallback stream: ${backlog} batches\nconsumer:\n${procs.consumer.tail(25)}\nworker:\n${procs.worker.tail(10)}`);
    });
    await waitUntil(async () => (await env.redisQueue.xlen(env.keys.fallback)) === 0, { timeoutMs: 30_000, describe: () => 'fallback stream not drained' });
  });

  it('counts on in PostgreSQL with ClickHouse stopped; ClickHouse then catches up, nothing lost or inserted twice', async () => {
    const codes = await env.createLinks(30);
    const byCode = new Map<string, number>();
    const phase = (total: number) => runRedirectLoad({ targets: () => procs.apiUrls, codes, total, concurrency: 4, byCode });
    await phase(2000);
    clickhouseDown = true;
    await stopService('clickhouse');
    const insertedBefore = await readMetric(procs.consumerMetricsUrl, 'clickhouse_click_rows_inserted_total');
    try {
      await phase(4000);
      // The counting group does not wait for ClickHouse...
      let pg = new Map<string, number>();
      await waitUntil(async () => {
        pg = await env.clicksByCode(codes);
        return codes.every((c) => (pg.get(c) ?? 0) === (byCode.get(c) ?? 0));
      }, { timeoutMs: 60_000, describe: () => `postgres counts ${JSON.stringify([...pg])} != ${JSON.stringify([...byCode])}` });
      // ...while the analytics group inserts nothing: these clicks wait in Kafka for ClickHouse.
      assert.equal(await readMetric(procs.consumerMetricsUrl, 'clickhouse_click_rows_inserted_total'), insertedBefore);
    } finally {
      await startService('clickhouse');
      clickhouseDown = false;
    }
    await phase(2000);
    // Raw distinct clicks and the rollups (which count every inserted row) both equal the 307s answered.
    await waitForCounts(env, byCode, 120_000);
  });

  it('counts format-1 clicks left in the topic and the fallback stream next to packed ones (an upgrade)', async () => {
    const codes = await env.createLinks(40);
    const expected = new Map<string, number>();
    const add = (code: string, n = 1) => expected.set(code, (expected.get(code) ?? 0) + n);
    // The consumer is down while the old producer's clicks wait, as during a rolling upgrade.
    assert.equal(await procs.consumer.kill('SIGTERM'), 0, procs.consumer.tail());
    const old = Array.from({ length: Math.max(1000, Math.floor(N / 20)) }, (_, i) => {
      const code = codes[i % codes.length];
      add(code);
      const event = {
        click_id: randomUUID(), short_code: code, ts: new Date().toISOString(), referrer: '', user_agent: 'old-producer',
        visitor_hash: 'ab'.repeat(16), bot: false,
      };
      return { key: code, value: JSON.stringify(event) };
    });
    const inTopic = old.slice(0, Math.floor(old.length * 0.8));
    const inStream = old.slice(inTopic.length);
    const kafka = createKafka(env.config, `test-upgrade-${env.suffix}`);
    const producer = createSafeProducer(kafka, { retries: 5 });
    try {
      // A retried send of the old producer: the first 100 clicks reach the topic twice.
      for (const batch of [inTopic, inTopic.slice(0, 100)]) {
        await producer.send({ topic: kafkaNames(env.config).clickTopic, messages: batch });
      }
    } finally {
      await producer.disconnect();
    }
    for (let i = 0; i < inStream.length; i += 100) {
      assert.ok(await appendLegacyFallback(env.redisQueue, env.keys, 1000, inStream.slice(i, i + 100)));
    }
    // New-format clicks from the upgraded APIs, queued behind the old ones.
    const load = await runRedirectLoad({ targets: procs.liveApiUrls, codes, total: 2000, concurrency: 8 });
    for (const [code, n] of load.byCode) add(code, n);
    await procs.consumer.start();
    await waitForCounts(env, expected, 180_000);
    await waitUntil(async () => (await env.redisQueue.xlen(env.keys.fallback)) === 0, { timeoutMs: 30_000, describe: () => 'fallback stream not drained' });
    // The restarted consumer's counters started from zero.
    const duplicates = await readMetric(procs.consumerMetricsUrl, 'clicks_consumed_total', 'outcome="duplicate"');
    assert.ok(duplicates >= 100, `the 100 re-sent format-1 clicks were not seen as duplicates (${duplicates})`);
  });
});
