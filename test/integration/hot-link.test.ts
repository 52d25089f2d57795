/**
 * A warm link stays warm across flushes, under the real processes (API, click consumer, Temporal worker
 * with the flush Schedule every second): after the first redirect, redirects to it for 30 s and through at
 * least 4 applied flushes ask neither Redis nor PostgreSQL for the link (`link_lookups_total` by layer).
 * Before the flush stopped evicting, every flush sent the hot link back to Redis and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { getStatus, runRedirectLoad } from '../helpers/load';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { readMetric, startPipeline, type PipelineProcs } from '../helpers/pipeline-procs';
import { waitUntil } from '../../infra/wait';

// Long enough to span several flush intervals; HOT_LINK_SECONDS shortens it while developing.
const LOAD_SECONDS = Number(process.env.HOT_LINK_SECONDS ?? 30);
const MIN_FLUSHES = 4;

describe('hot link across flushes (real processes)', function () {
  this.timeout(300_000);
  let env: PipelineEnv;
  let procs: PipelineProcs;

  before(async function () {
    this.timeout(240_000);
    env = await createPipelineEnv({ INGESTION_FLUSH_INTERVAL_SECONDS: '1' });
    procs = await startPipeline(env, { apis: 1 });
  });
  after(async function () {
    this.timeout(60_000);
    await procs?.stop();
    await env?.close();
  });

  const flushesApplied = async (): Promise<number> =>
    Number((await env.pool.query<{ n: string }>('SELECT count(*) AS n FROM click_flush_batches')).rows[0].n);

  it(`${LOAD_SECONDS} s of redirects to one warm link through ${MIN_FLUSHES}+ flushes add no Redis or PostgreSQL lookup`, async () => {
    const [hot] = await env.createLinks(1);
    const api = procs.apiUrls[0];
    const metrics = procs.apiMetricsUrls[0];
    const lookups = async () => ({
      redis: await readMetric(metrics, 'link_lookups_total', 'layer="redis"'),
      postgres: await readMetric(metrics, 'link_lookups_total', 'layer="postgres"'),
      lru: await readMetric(metrics, 'link_lookups_total', 'layer="lru",result="hit"'),
    });

    // The first redirect warms this API's LRU: one Redis miss, one PostgreSQL read.
    assert.equal((await getStatus(`${api}/${hot}`)).status, 307);
    const warm = await lookups();
    assert.ok(warm.postgres >= 1, 'the first redirect did not reach PostgreSQL');
    const flushesBefore = await flushesApplied();

    const started = Date.now();
    let flushes = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        flushes = (await flushesApplied()) - flushesBefore;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const load = await runRedirectLoad({
      targets: () => [api],
      codes: [hot],
      total: 1,
      concurrency: 4,
      keepGoing: () => Date.now() - started < LOAD_SECONDS * 1000 || flushes < MIN_FLUSHES,
    });
    watching = false;
    await watcher;
    assert.equal(load.failed, 0);

    // Every click of the load reaches urls.clicks, so the flushes above really carried this link.
    const sent = 1 + load.received;
    await waitUntil(async () => (await env.clicksByCode([hot])).get(hot) === sent, {
      timeoutMs: 60_000,
      describe: async () => `urls.clicks ${(await env.clicksByCode([hot])).get(hot)} != ${sent}`,
    });
    const after = await lookups();
    const report =
      `${load.received} redirects in ${load.seconds.toFixed(1)} s through ${flushes} flushes: ` +
      `+${after.postgres - warm.postgres} PostgreSQL, +${after.redis - warm.redis} Redis, +${after.lru - warm.lru} LRU hits`;
    console.log(`      ${report}`);
    assert.ok(flushes >= MIN_FLUSHES, report);
    assert.equal(after.postgres - warm.postgres, 0, report);
    assert.equal(after.redis - warm.redis, 0, report);
    assert.equal(after.lru - warm.lru, load.received, report);
  });
});
