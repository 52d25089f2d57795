/**
 * API_WORKERS=2 end to end: api/server.ts as a cluster primary with two API processes on one port, a click
 * consumer and a Temporal worker. Every request below opens a connection of its own, so the primary hands
 * them to both processes in turn: a stats read must still count the clicks the other process answered, the
 * metrics port must add both processes up, a killed process is replaced, and SIGTERM loses no click.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { waitUntil } from '../../infra/wait';
import { httpRequest } from '../helpers/http-request';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { readMetric, startPipeline, waitForCounts, type PipelineProcs } from '../helpers/pipeline-procs';

/** One request on a connection of its own, so consecutive requests can reach different processes. */
const request = (url: string, method = 'GET', body?: string) => httpRequest(url, { method, body, agent: false, timeoutMs: 10_000 });

/** The API processes the primary forked (its children in /proc). */
function workersOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

describe('API with API_WORKERS=2 (integration)', function () {
  this.timeout(180_000);
  let env: PipelineEnv;
  let procs: PipelineProcs;
  let api: string;
  const answered = new Map<string, number>();

  before(async () => {
    env = await createPipelineEnv({ API_WORKERS: '2' });
    procs = await startPipeline(env);
    api = procs.apiUrls[0];
  });
  after(async () => {
    await procs?.stop();
    await env?.close();
  });

  it('runs two API processes under the primary', () => {
    const pid = procs.apis[0].pid;
    assert.ok(pid);
    assert.equal(workersOf(pid).length, 2, procs.apis[0].tail());
  });

  it('a stats read counts the clicks every process answered before it (read-your-own-clicks across processes)', async () => {
    const codes = await env.createLinks(21);
    // 1, 2 or 3 redirects before each read: with connections handed out in turn, the read lands on the
    // process that answered none of them, one of them, or all but one.
    for (const [i, code] of codes.entries()) {
      const n = 1 + (i % 3);
      for (let r = 0; r < n; r++) assert.equal((await request(`${api}/${code}`)).status, 307);
      const stats = await request(`${api}/api/stats/${code}`);
      assert.equal(stats.status, 200, stats.text);
      assert.equal((JSON.parse(stats.text) as { clicks: number }).clicks, n, `stats of ${code} right after its ${n} redirects`);
      answered.set(code, n);
    }
  });

  it('serves both processes\' metrics, added up, on METRICS_PORT', async () => {
    const redirects = await readMetric(procs.apiMetricsUrls[0], 'http_requests_total', 'route="/{code}",status="307"');
    assert.equal(redirects, 42);
  });

  it('replaces a process that dies, and the other answers meanwhile', async () => {
    const pid = procs.apis[0].pid!;
    const [victim] = workersOf(pid);
    process.kill(victim, 'SIGKILL');
    // A connection the primary handed over in the instant of the death goes down with the process, as every
    // connection does when a single-process API dies; from the primary's notice on, the other one takes all.
    await waitUntil(() => procs.apis[0].grep(/api worker died; starting another/).length === 1, { timeoutMs: 10_000, describe: () => procs.apis[0].tail() });
    const code = (await env.createLinks(1))[0];
    for (let i = 0; i < 10; i++) assert.equal((await request(`${api}/${code}`)).status, 307);
    answered.set(code, 10);
    await waitUntil(() => workersOf(pid).length === 2 && !workersOf(pid).includes(victim), { timeoutMs: 30_000, describe: () => `workers: ${workersOf(pid).join(',')}` });
    assert.equal(procs.apis[0].grep(/api worker died; starting another/).length, 1);
  });

  it('SIGTERM stops every process, and each flushes its clicks first: none is lost', async () => {
    const codes = await env.createLinks(5);
    for (const code of codes) {
      for (let i = 0; i < 4; i++) assert.equal((await request(`${api}/${code}`)).status, 307);
      answered.set(code, 4);
    }
    const pid = procs.apis[0].pid!;
    const workers = workersOf(pid);
    assert.equal(await procs.apis[0].kill('SIGTERM'), 0, procs.apis[0].tail());
    for (const w of workers) assert.throws(() => process.kill(w, 0), `process ${w} still runs`);
    await waitForCounts(env, answered, 60_000);
  });
});
