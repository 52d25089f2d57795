/**
 * The bench's measuring instruments against a real server (the ceiling, in-process): a 307 counts as the
 * redirect's success, a wrong status as an error, the paced load keeps its rate, profiles are summed right.
 * The whole bench is exercised by `npm run bench -- --quick` (CI), not here: it needs the full stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createCeilingServer } from '../../bench/ceiling';
import { runLoad } from '../../bench/load';
import { runPaced } from '../../bench/paced';
import { summariseProfile } from '../../bench/profile';
import { formatRounds, judgeTargets, median, ratiosTo, type WorkloadRecord } from '../../bench/report';
import { selectWorkloads } from '../../bench/session';
import { busyShare, settle } from '../../bench/settle';
import { ensureWrk, runWrk } from '../../bench/wrk';
import { Worker } from 'node:worker_threads';

describe('bench instruments (integration)', function () {
  this.timeout(30_000);
  const links = new Map([
    ['abc1234', 'https://example.com/a?x=1&y=%20z'],
    ['xyz9876', 'https://example.com/b'],
  ]);
  const server = createCeilingServer(links);
  let url = '';

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('the ceiling answers the redirect contract: 307 with the URL verbatim, 404 JSON otherwise', async () => {
    const hit = await fetch(`${url}/abc1234`, { redirect: 'manual' });
    assert.equal(hit.status, 307);
    assert.equal(hit.headers.get('location'), 'https://example.com/a?x=1&y=%20z');
    assert.equal(await hit.text(), '');
    const miss = await fetch(`${url}/nope123`);
    assert.equal(miss.status, 404);
    assert.deepEqual(await miss.json(), { detail: 'Short URL not found' });
  });

  it('counts 307s as successes and every other status as an error', async () => {
    const codes = ['abc1234', 'xyz9876', 'unknown1'];
    let i = 0;
    const { stats } = await runLoad({ url, connections: 2, durationS: 1, expectStatus: 307, next: () => ({ path: `/${codes[i++ % 3]}` }) });
    assert.ok(stats.responses > 30, `only ${stats.responses} responses`);
    assert.equal(stats.ok, stats.statusCounts['307']);
    assert.equal(stats.errors, stats.statusCounts['404']);
    assert.ok(Math.abs(stats.ok - 2 * stats.errors) <= 4, JSON.stringify(stats.statusCounts));
    assert.equal(stats.rps, Math.round(stats.ok / stats.durationS));
    assert.ok(stats.latencyMs.p50 > 0 && stats.latencyMs.p50 <= stats.latencyMs.p99 && stats.latencyMs.p99 <= stats.latencyMs.max);
  });

  it('wrk counts redirects as successes and 4xx answers as errors', async () => {
    this.timeout(600_000); // a fresh machine installs wrk first
    await ensureWrk();
    const all = await runWrk({ url, connections: 2, durationS: 1, paths: ['/abc1234', '/xyz9876'] });
    assert.ok(all.stats.ok > 100, `only ${all.stats.ok} successes`);
    assert.equal(all.stats.errors, 0);
    assert.equal(all.stats.rps, Math.round(all.stats.ok / all.stats.durationS));
    const l = all.stats.latencyMs;
    assert.ok(l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, JSON.stringify(l));
    const half = await runWrk({ url, connections: 2, durationS: 1, paths: ['/abc1234', '/unknown1'] });
    // errors also count socket errors (a few reads cut when wrk stops): at least every 4xx.
    assert.ok(half.stats.errors >= half.stats.statusCounts['>=400'], JSON.stringify(half.stats));
    assert.equal(half.stats.ok + half.stats.statusCounts['>=400'], half.stats.responses);
    assert.ok(Math.abs(half.stats.ok - half.stats.errors) < 0.2 * half.stats.responses, JSON.stringify(half.stats.statusCounts));
  });

  it('wrk POSTs a JSON body with a URL no other request of the run carries', async () => {
    this.timeout(600_000);
    await ensureWrk();
    const seen = new Set<string>();
    let bad = 0;
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = (JSON.parse(body) as { url: string }).url;
        if (req.method !== 'POST' || req.url !== '/api/shorten' || req.headers['content-type'] !== 'application/json' || seen.has(url) || !/^https:\/\/x\/a-\d+x\d+\?b$/.test(url)) bad++;
        seen.add(url);
        res.writeHead(201, { 'Content-Length': '2' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      const port = (sink.address() as AddressInfo).port;
      const run = await runWrk({ url: `http://127.0.0.1:${port}`, connections: 4, durationS: 1, post: { path: '/api/shorten', before: 'https://x/a-', after: '?b' } });
      assert.ok(run.stats.ok > 100, `only ${run.stats.ok} creates`);
      assert.equal(bad, 0, `${bad} malformed or repeated bodies`);
      assert.ok(seen.size >= run.stats.ok, `${seen.size} distinct URLs for ${run.stats.ok} answers`);
    } finally {
      sink.closeAllConnections();
      sink.close();
    }
  });

  it('a fixed amount sends exactly that many requests', async () => {
    const { stats } = await runLoad({ url, connections: 4, durationS: 10, amount: 100, expectStatus: 307, next: () => ({ path: '/abc1234' }) });
    assert.equal(stats.responses, 100);
    assert.equal(stats.ok, 100);
    assert.equal(stats.errors, 0);
  });

  it('the paced load keeps its rate and times requests from when they were due', async () => {
    const { run, fromSend } = await runPaced({
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      rate: 300,
      durationS: 1,
      sockets: 4,
      expectStatus: 307,
      nextPath: () => '/xyz9876',
    });
    assert.equal(run.stats.responses, 300);
    assert.equal(run.stats.ok, 300);
    assert.equal(run.stats.errors, 0);
    // A request can only be later than due, never earlier: from-due latencies bound from-send ones.
    assert.ok(run.stats.latencyMs.max >= fromSend.stats.latencyMs.max - 0.001);
    assert.ok(run.stats.durationS >= 0.99, `finished in ${run.stats.durationS} s: not paced`);
  });

  it('--only adds the runs a figure depends on, and refuses unknown names', () => {
    const names = selectWorkloads(['hit-half-paced']).workloads.map((w) => w.name);
    assert.deepEqual(names, ['ceiling', 'hit', 'hit-half-paced', 'ceiling-half-paced']);
    assert.deepEqual(selectWorkloads(['hit-wrk']).workloads.map((w) => w.name), ['ceiling', 'ceiling-wrk', 'hit-wrk']);
    assert.deepEqual(selectWorkloads(['create-wrk']).workloads.map((w) => w.name), ['ceiling', 'ceiling-wrk', 'create-wrk']);
    assert.deepEqual(selectWorkloads(['keygen']).workloads, []);
    assert.deepEqual(selectWorkloads(['analytics']), { workloads: [], components: ['analytics'] });
    assert.ok(!selectWorkloads(null).components.includes('analytics'), 'the analytics load runs only when named');
    assert.throws(() => selectWorkloads(['hti']), /unknown workload hti/);
  });

  it('ratios divide each figure by the same run of the ceiling', () => {
    const stats = (rps: number, p99: number) => ({
      rps, latencyMs: { p50: 1, p90: 2, p99, max: 10 }, errors: 0, ok: 1, responses: 1, timeouts: 0, statusCounts: {}, durationS: 1, connections: 1,
    });
    assert.deepEqual(ratiosTo(stats(5000, 8), stats(20000, 2)), { rps: 0.25, p50: 1, p90: 1, p99: 4, max: 1 });
  });

  it('a workload measured in rounds is judged on its median round, and a single run on itself', () => {
    assert.equal(median([0.3, 0.6, 0.4]), 0.4);
    assert.equal(median([0.3, 0.6, 0.4, 0.5]), 0.45);
    const record = (ratio: number, runs?: number[]): WorkloadRecord => ({
      name: 'hit-wrk', description: '', server: 'api', expectStatus: 307, rps: 20000, latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
      errors: 0, ok: 1, responses: 1, timeouts: 0, statusCounts: {}, durationS: 10, connections: 64,
      ratio: { rps: ratio, p50: 1, p90: 1, p99: 1, max: 1 },
      rounds: runs && { reference: 'ceiling-wrk', runs: runs.map((r) => ({ reference: 50000, rps: Math.round(50000 * r), ratio: r, peer: 10000, vsPeer: Math.round(5000 * r) / 1000 })) },
    });
    const name = 'cache-hit redirects >= 50% of the ceiling (wrk, as the issue measured)';
    const target = (r: WorkloadRecord) => judgeTargets([r]).find((t) => t.target === name);
    // The first round alone would pass; two of three do not.
    assert.deepEqual(target(record(0.55, [0.55, 0.42, 0.47])), { target: name, value: '47% (median of 3 rounds)', met: false });
    assert.equal(target(record(0.45, [0.45, 0.52, 0.6]))?.met, true);
    assert.deepEqual(target(record(0.51)), { target: name, value: '51%', met: true });
    assert.equal(
      formatRounds(record(0.55, [0.55, 0.42, 0.47])),
      'rounds: hit-wrk alternated with ceiling-wrk 3 times: 27500/s = 55% of 50000/s, 21000/s = 42% of 50000/s, 23500/s = 47% of 50000/s; median 47%; vs peer 2.75x, 2.1x, 2.35x (median 2.35x)',
    );
    assert.equal(formatRounds(record(0.5)), undefined);
  });

  it('sums a CPU profile self time per function, inside a window when given', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
    try {
      const file = path.join(dir, 'p.cpuprofile');
      const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
      writeFileSync(file, JSON.stringify({
        startTime: 1000,
        nodes: [
          { id: 1, callFrame: frame('(idle)', '') },
          { id: 2, callFrame: frame('hot', 'file:///x/node_modules/pkg/index.js') },
        ],
        samples: [2, 2, 1, 2],
        timeDeltas: [100, 100, 300, 500],
      }));
      const all = summariseProfile(file);
      assert.equal(all.totalMs, 1);
      assert.deepEqual(all.functions.map((f) => [f.name, f.pct]), [['hot pkg/index.js:1', 70], ['(idle)', 30]]);
      assert.deepEqual(all.packages.map((f) => f.name), ['pkg', '(idle)']);
      const windowed = summariseProfile(file, 25, { startUs: 1150, endUs: 1600 });
      // Samples at 1100, 1200, 1500, 2000 µs: the window keeps the second (hot) and third (idle).
      assert.deepEqual(windowed.functions.map((f) => [f.name, f.pct]), [['(idle)', 75], ['hot pkg/index.js:1', 25]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the busy share of the cores is busy time over all time between two readings', () => {
    assert.equal(busyShare({ busy: 100, total: 400 }, { busy: 175, total: 500 }), 0.75);
    assert.equal(busyShare({ busy: 100, total: 400 }, { busy: 100, total: 400 }), 0);
  });

  it('waits for a quiet machine: not while most cores spin, at once after they stop', async () => {
    // Three quarters of the cores spin for 1.5 s: the machine is at least 75% busy until they stop.
    const spinners = Array.from({ length: Math.max(1, Math.ceil(os.cpus().length * 0.75)) }, () =>
      new Worker('const end = Date.now() + 1500; while (Date.now() < end);', { eval: true }),
    );
    const stopped = Promise.all(spinners.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    const started = Date.now();
    const settled = await settle({ busyBelow: 0.5, windowMs: 250, maxMs: 10_000 });
    await stopped;
    assert.ok(settled.quiet, `never quiet: ${JSON.stringify(settled)}`);
    assert.ok(Date.now() - started >= 1500, `returned after ${Date.now() - started} ms, while the cores still spun`);
    assert.ok(settled.waitedMs < 6000, `waited ${settled.waitedMs} ms after the cores stopped`);
    const bounded = await settle({ busyBelow: 0, windowMs: 100, maxMs: 300 });
    assert.equal(bounded.quiet, false);
    assert.ok(bounded.waitedMs >= 300 && bounded.waitedMs < 1000, `gave up after ${bounded.waitedMs} ms`);
  });
});
