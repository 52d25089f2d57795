/**
 * One bench run: stack up, one run at a time (a lock), the topology, every selected workload after its
 * pre-flight probe, then the component benches. A broken bench (a server that does not start, a wrong
 * status, no successful request) is recorded in `failures`; a slow number never is.
 */
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../infra/config';
import { stackUp } from '../infra/stack';
import { runComponents } from './components';
import { lockBench } from './dataset';
import type { LoadStats } from './load';
import { summariseProfile, type Window } from './profile';
import { createLinks, runTag } from './dataset';
import { gitCommit, judgeTargets, machineInfo, peerRatios, ratiosTo, type Report, type Round, type WorkloadRecord } from './report';
import { benchIsolation, counterDelta, readLookups, type BenchProcess } from './servers';
import { ensureWrk } from './wrk';
import { settle, settleOptions } from './settle';
import { startTopology } from './topology';
import type { BenchSettings, Workload, WorkloadContext } from './types';
import { WORKLOADS } from './workloads';

export interface BenchOptions extends BenchSettings {
  /** Workload names to run (the ceiling, and hit for the half-load runs, are added); null runs all. */
  only: string[] | null;
  /** Write a CPU profile of the API process (file name under bench/results), summed over the hit run. */
  profileName?: string;
  /** Another server speaking the same API: every API workload that needs no internals runs on it too. */
  peer?: string;
  command: string;
}

/** Workloads a peer can run: the API's public routes only (the cache-miss runs need this API's internals). */
const forPeer = (w: Workload) => w.server === 'api';

/** The workloads `only` asks for, plus the runs their figures depend on, in WORKLOADS order. */
export function selectWorkloads(only: string[] | null): { workloads: Workload[]; components: string[] } {
  const components = ['keygen', 'pipeline'];
  if (!only) return { workloads: WORKLOADS, components };
  // The analytics bench loads 10 million rows into ClickHouse: run only when asked for by name.
  components.push('analytics');
  const known = new Set([...WORKLOADS.map((w) => w.name), ...components]);
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`unknown workload ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  const wanted = new Set(only.filter((n) => !components.includes(n)));
  if (wanted.size) wanted.add('ceiling');
  if (wanted.has('hit-half-paced')) wanted.add('ceiling-half-paced');
  if (wanted.has('hit-wrk') || wanted.has('create-wrk')) wanted.add('ceiling-wrk');
  if (wanted.has('hit-half') || wanted.has('hit-half-paced') || wanted.has('ceiling-half-paced')) wanted.add('hit');
  return { workloads: WORKLOADS.filter((w) => wanted.has(w.name)), components: components.filter((c) => only.includes(c)) };
}

/** Sends the probe once and says what is wrong with the answer, if anything. */
async function probe(w: Workload, ctx: WorkloadContext): Promise<string | undefined> {
  const p = w.probe(ctx);
  const res = await fetch(`${ctx.urls[w.server]}${p.path}`, {
    method: p.method ?? 'GET',
    body: p.body,
    headers: p.body ? { 'content-type': 'application/json' } : undefined,
    redirect: 'manual',
  });
  const body = await res.text();
  if (res.status !== w.expectStatus) return `${w.name}: probe ${p.method ?? 'GET'} ${p.path} answered ${res.status} (expected ${w.expectStatus}): ${body.slice(0, 200)}`;
  if (p.location !== undefined && res.headers.get('location') !== p.location) {
    return `${w.name}: probe ${p.path} redirected to ${res.headers.get('location')} (expected ${p.location})`;
  }
  return undefined;
}

const noSuccess = (name: string, s: LoadStats) =>
  s.ok === 0 ? [`${name}: no request succeeded (${JSON.stringify(s.statusCounts)}, ${s.timeouts} timeouts, ${s.errors} errors)`] : [];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** A quiet machine (see bench/settle.ts), a warm-up, then the measured run with the cache layers and warnings it caused. */
async function measure(w: Workload, ctx: WorkloadContext, server: BenchProcess | undefined, baseline: LoadStats | undefined) {
  const isApi = w.server !== 'ceiling' && server !== undefined;
  const settled = await settle(settleOptions(ctx.settings.quick));
  if (w.warmup && ctx.settings.warmupS > 0) await w.warmup(ctx);
  const before = isApi ? await readLookups(server.url) : {};
  const warned = { ...(server?.warnings ?? { warn: 0, error: 0 }) };
  const window: Window = { startUs: nowUs(), endUs: 0 };
  const outcome = await w.run(ctx);
  window.endUs = nowUs();
  const stats = outcome.run.stats;
  const reference = w.name === 'ceiling' || w.reference === w.name ? stats : baseline;
  const record: WorkloadRecord = { name: w.name, description: w.description, server: server ? w.server : 'peer', expectStatus: w.expectStatus, rate: outcome.rate, ...stats, ratio: ratiosTo(stats, reference), settled };
  const parts = Object.entries(outcome.parts ?? {});
  if (parts.length) record.parts = Object.fromEntries(parts.map(([k, r]) => [k, { ...r.stats, ratio: ratiosTo(r.stats, reference) }]));
  if (isApi) record.lookups = counterDelta(before, await readLookups(server.url));
  const warn = (server?.warnings.warn ?? 0) - warned.warn;
  const error = (server?.warnings.error ?? 0) - warned.error;
  if (server && (warn || error)) record.serverLog = { warn, error, samples: [...server.warnings.samples] };
  const failures = [...noSuccess(w.name, stats), ...parts.flatMap(([k, r]) => noSuccess(`${w.name}/${k}`, r.stats))];
  return { record, window, failures };
}

/** Links created through the peer's own API (the same counts as ours), so its redirects hit its caches. */
async function peerData(url: string, quick: boolean): Promise<WorkloadContext['data']> {
  const tag = runTag();
  const links = await createLinks(url, tag, quick ? 200 : 2000);
  return { tag, links, codes: [...links.keys()], coldCodes: [], coldWarmupCodes: [] };
}

/** Runs the bench and returns its report (the caller prints and writes it). */
export async function runBench(opts: BenchOptions): Promise<Report> {
  const { workloads, components } = selectWorkloads(opts.only);
  const settings: BenchSettings = { quick: opts.quick, connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS, apiWorkers: opts.apiWorkers, rounds: opts.rounds };
  const report: Report = {
    command: opts.command,
    commit: gitCommit(),
    date: new Date().toISOString(),
    machine: machineInfo(),
    settings,
    workloads: [],
    components: {},
    targets: [],
    failures: [],
  };
  const config = loadConfig();
  // The analytics bench alone needs ClickHouse, plus PostgreSQL for the lock and the migrations' lock.
  const analyticsOnly = workloads.length === 0 && components.length === 1 && components[0] === 'analytics';
  await stackUp({ quiet: true, ...(analyticsOnly ? { services: ['clickhouse', 'postgres'] } : {}) });
  if (workloads.some((w) => w.usesWrk)) await ensureWrk();
  const unlock = await lockBench(config);
  try {
    if (workloads.length) {
      const topology = await startTopology(config, workloads, { quick: opts.quick, profile: !!opts.profileName, apiWorkers: opts.apiWorkers });
      // The profile is summed over the cache-hit run, or over the first API workload when hit is not selected.
      const profiled = (workloads.find((w) => w.name === 'hit') ?? workloads.find((w) => w.server !== 'ceiling'))?.name;
      let profileWindow: Window | undefined;
      try {
        const { servers } = topology;
        const ctx: WorkloadContext = { settings, data: topology.data, urls: { ceiling: servers.ceiling.url, api: servers.api.url, 'api-nolru': servers['api-nolru'].url } };
        // The peer gets links of its own, created through its API, and runs each workload right after ours.
        const peerCtx: WorkloadContext | undefined = opts.peer
          ? { settings, data: await peerData(opts.peer, opts.quick), urls: { ceiling: servers.ceiling.url, api: opts.peer, 'api-nolru': opts.peer } }
          : undefined;
        if (opts.peer) report.peer = { url: opts.peer, workloads: [] };
        let ceiling: LoadStats | undefined;
        const measured = new Map<string, LoadStats>();
        // Rounds 2..N of a workload measured in rounds: its reference again, then it, then the peer's run.
        const moreRounds = async (w: Workload, ref: Workload, record: WorkloadRecord, peer?: { ctx: WorkloadContext; first: WorkloadRecord }) => {
          const runs: Round[] = [{ reference: measured.get(ref.name)?.rps ?? 0, rps: record.rps, ratio: record.ratio.rps, peer: peer?.first.rps, vsPeer: record.vsPeer?.rps }];
          for (let i = 2; i <= settings.rounds; i++) {
            process.stderr.write(`bench: ${w.name} round ${i} of ${settings.rounds} ...\n`);
            const again = await measure(ref, ctx, servers[ref.server], undefined);
            const ours = await measure(w, ctx, servers[w.server], again.record);
            report.failures.push(...again.failures, ...ours.failures);
            const theirs = peer ? await measure(w, peer.ctx, undefined, again.record) : undefined;
            if (theirs) report.failures.push(...theirs.failures.map((f) => `peer ${f}`));
            runs.push({ reference: again.record.rps, rps: ours.record.rps, ratio: ours.record.ratio.rps, peer: theirs?.record.rps, vsPeer: theirs ? peerRatios(ours.record, theirs.record).rps : undefined });
          }
          record.rounds = { reference: ref.name, runs };
        };
        for (const w of workloads) {
          const server = servers[w.server];
          if (!server.running) throw new Error(`${server.name} died before ${w.name}:\n${server.tail()}`);
          const wrong = await probe(w, ctx);
          if (wrong) {
            report.failures.push(wrong);
            continue;
          }
          process.stderr.write(`bench: ${w.name} ...\n`);
          const reference = w.reference ? measured.get(w.reference) : ceiling;
          const { record, window, failures } = await measure(w, ctx, server, reference);
          measured.set(w.name, record);
          if (w.name === 'ceiling') ceiling = record;
          if (w.name === 'hit') ctx.hitRps = record.rps;
          if (w.name === profiled) profileWindow = window;
          report.workloads.push(record);
          report.failures.push(...failures);
          let peerFirst: WorkloadRecord | undefined;
          if (peerCtx && report.peer && forPeer(w)) {
            const peerWrong = await probe(w, peerCtx);
            if (peerWrong) report.failures.push(`peer ${peerWrong}`);
            else {
              process.stderr.write(`bench: ${w.name} on the peer ...\n`);
              const peer = await measure(w, peerCtx, undefined, reference);
              peerFirst = peer.record;
              if (w.name === 'hit') peerCtx.hitRps = peer.record.rps;
              report.peer.workloads.push(peer.record);
              report.failures.push(...peer.failures.map((f) => `peer ${f}`));
              record.vsPeer = peerRatios(record, peer.record);
            }
          }
          if (w.rounds && w.reference && settings.rounds > 1) {
            const ref = workloads.find((x) => x.name === w.reference);
            if (ref) await moreRounds(w, ref, record, peerCtx && peerFirst ? { ctx: peerCtx, first: peerFirst } : undefined);
          }
        }
      } finally {
        report.failures.push(...(await topology.stop()));
      }
      if (opts.profileName) {
        const file = path.join(__dirname, 'results', opts.profileName);
        if (topology.keepProfile(file)) report.profile = { file: path.relative(process.cwd(), file), workload: profiled, ...summariseProfile(file, 25, profileWindow) };
        else report.failures.push('--profile: the API wrote no CPU profile');
      }
    }
    // After the API processes have stopped, so the component benches have the cores to themselves, once the
    // machine is quiet again (the last workloads' clicks drained, ClickHouse's merges done).
    if (components.length) report.componentsSettled = await settle(settleOptions(opts.quick));
    report.components = await runComponents(components, { quick: opts.quick, durationS: opts.durationS, env: benchIsolation(config) }, report.failures);
  } finally {
    await unlock();
  }
  report.targets = judgeTargets(report.workloads, report.components);
  report.machine.loadAvgEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
  return report;
}
