/**
 * The click pipeline end to end with real processes (API server, click consumer, Temporal worker) on an
 * isolated deployment: exact counts in PostgreSQL and ClickHouse, exact stats while flushes run, the
 * dead-letter topic, and both Schedules running their workflows on the Temporal server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKafka, createTemporalClient } from '../../infra/clients';
import { deploymentNames, kafkaNames, scheduleIds } from '../../queues/names';
import { runRedirectLoad, getStatus } from '../helpers/load';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { readMetric, startPipeline, waitForCounts, type PipelineProcs } from '../helpers/pipeline-procs';
import { waitUntil } from '../../infra/wait';

describe('click pipeline end to end (real processes)', function () {
  this.timeout(300_000);
  let env: PipelineEnv;
  let procs: PipelineProcs;

  before(async function () {
    this.timeout(240_000);
    env = await createPipelineEnv();
    procs = await startPipeline(env, { apis: 1 });
  });
  after(async function () {
    this.timeout(60_000);
    await procs?.stop();
    await env?.close();
  });

  it('counts every redirect exactly in PostgreSQL and ClickHouse, and stats never go down or overshoot', async () => {
    const codes = await env.createLinks(20);
    const hot = codes[0];
    const api = procs.apiUrls[0];
    const concurrency = 16;
    const live = new Map<string, number>();
    const received = () => live.get(hot) ?? 0;
    let loading = true;
    const stats: number[] = [];

    const reader = (async () => {
      while (loading || stats.at(-1) !== received()) {
        const res = await fetch(`${api}/api/stats/${hot}`);
        assert.equal(res.status, 200);
        const { clicks } = (await res.json()) as { clicks: number };
        // A click is recorded when its response is sent, a moment before the client counts the 307.
        assert.ok(clicks <= received() + concurrency, `stats ${clicks} above the ${received()} redirects received`);
        assert.ok(clicks >= (stats.at(-1) ?? 0), `stats went down: ${stats.at(-1)} -> ${clicks}`);
        stats.push(clicks);
        if (!loading) await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // Half the requests go to the hot code, so its count moves through many flushes while it is read.
    const weighted = codes.flatMap((c) => [hot, c]);
    // At least 6,000 redirects, and on until the reader has read 20 times: each read waits until this API's
    // clicks are counted (a consumer fetch gathers up to 100 ms of them), so how many fit depends on speed.
    const load = await runRedirectLoad({
      targets: () => [api],
      codes: weighted,
      total: 6000,
      concurrency,
      byCode: live,
      keepGoing: () => stats.length < 20,
    });
    loading = false;
    await waitForCounts(env, load.byCode, 90_000);
    await reader;
    assert.ok(load.received >= 6000, `${load.received} redirects`);
    assert.equal(stats.at(-1), load.byCode.get(hot));
  });

  it("shows a client its own clicks at once: 3 redirects, then stats say 3 (the seed's test, no polling)", async () => {
    const api = procs.apiUrls[0];
    for (let round = 0; round < 3; round++) {
      const [code] = await env.createLinks(1);
      for (let i = 0; i < 3; i++) assert.equal((await getStatus(`${api}/${code}`)).status, 307);
      const res = await fetch(`${api}/api/stats/${code}`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { clicks: number }).clicks, 3, `round ${round}`);
    }
  });

  it('moves a malformed message to the dead-letter topic, counts it and goes on', async () => {
    const config = env.config;
    const { clickTopic, deadLetterTopic } = kafkaNames(config);
    const kafka = createKafka(config, `test-dlq-${env.suffix}`);
    const admin = kafka.admin();
    const producer = kafka.producer();
    const group = `test-dlq-reader-${env.suffix}`;
    const consumer = kafka.consumer({ groupId: group });
    const marker = `dlq-${randomUUID()}`;
    const before = await readMetric(procs.consumerMetricsUrl, 'clicks_dead_lettered_total');
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(deadLetterTopic);
      await admin.setOffsets({ groupId: group, topic: deadLetterTopic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
      await producer.connect();
      await producer.send({
        topic: clickTopic,
        messages: [
          { key: marker, value: 'this is not json' },
          { key: marker, value: JSON.stringify({ short_code: 'abc', delta: 1 }) },
        ],
      });
      const found: { value: string; error: string }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: deadLetterTopic });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() !== marker) return;
          if (message.headers?.consumer_group?.toString() !== kafkaNames(config).group) return;
          found.push({ value: String(message.value), error: String(message.headers?.error) });
        },
      });
      await waitUntil(() => found.length >= 2, { timeoutMs: 60_000, describe: () => `dead letters found: ${JSON.stringify(found)}` });
      assert.deepEqual(found.map((f) => f.value).sort(), ['this is not json', JSON.stringify({ short_code: 'abc', delta: 1 })].sort());
      assert.match(found.find((f) => f.value === 'this is not json')!.error, /not JSON/);
      assert.match(found.find((f) => f.value !== 'this is not json')!.error, /click_id/);
      assert.equal(await readMetric(procs.consumerMetricsUrl, 'clicks_dead_lettered_total'), before + 2);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
    }
    // The consumer went on: new clicks are still counted.
    const [code] = await env.createLinks(1);
    for (let i = 0; i < 5; i++) assert.equal((await getStatus(`${procs.apiUrls[0]}/${code}`)).status, 307);
    await waitForCounts(env, new Map([[code, 5]]), 60_000);
  });

  it('has both Schedules on the server, running their workflows', async () => {
    const { client, connection } = await createTemporalClient(env.config);
    try {
      const ids = scheduleIds(env.config);
      const flush = await client.schedule.getHandle(ids.flushClicks).describe();
      assert.equal(flush.action.type, 'startWorkflow');
      assert.equal(flush.action.workflowType, 'flushClicksWorkflow');
      assert.equal(flush.action.taskQueue, deploymentNames(env.config).taskQueue);
      assert.equal(flush.spec.intervals?.[0]?.every, 1000);
      // A flush that outlasts its interval is followed at once by the tick that fell during it; runs never overlap.
      assert.equal(flush.policies.overlap, 'BUFFER_ONE');
      assert.ok(flush.info.recentActions.length > 0, 'the flush schedule has not started any workflow');

      const warm = await client.schedule.getHandle(ids.warmCache);
      const warmDesc = await warm.describe();
      assert.equal(warmDesc.action.type === 'startWorkflow' && warmDesc.action.workflowType, 'warmCacheWorkflow');
      await warm.trigger();
      let runId: string | undefined;
      let workflowId: string | undefined;
      await waitUntil(async () => {
        const last = (await warm.describe()).info.recentActions.at(-1)?.action;
        workflowId = last?.workflow.workflowId;
        runId = last?.workflow.firstExecutionRunId;
        return !!workflowId;
      }, { timeoutMs: 30_000 });
      const result = (await client.workflow.getHandle(workflowId!, runId).result()) as { warmed: number };
      assert.ok(result.warmed > 0, 'the cache warmer warmed nothing');

      const lastFlush = (await client.schedule.getHandle(ids.flushClicks).describe()).info.recentActions.at(-1)!.action;
      const run = await client.workflow.getHandle(lastFlush.workflow.workflowId, lastFlush.workflow.firstExecutionRunId).describe();
      assert.equal(run.type, 'flushClicksWorkflow');
    } finally {
      await connection.close();
    }
  });
});
