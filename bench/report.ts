/**
 * The bench report: a header that makes a run reproducible (command, commit, machine, settings), every
 * workload's figures with their ratio to the ceiling measured in the same run, the targets, and the table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LatencyMs, LoadStats } from './load';
import type { ProfileSummary } from './profile';
import type { Settled } from './settle';
import type { BenchSettings } from './types';

export type Ratios = { rps: number } & LatencyMs;

export interface Figures extends LoadStats {
  /** Each figure divided by the ceiling's (run `ceiling` of the same bench). */
  ratio: Ratios;
}

export interface WorkloadRecord extends Figures {
  name: string;
  description: string;
  server: string;
  expectStatus: number;
  rate?: number;
  parts?: Record<string, Figures>;
  /** Which cache layer answered (deltas of the API's link_lookups_total during the run). */
  lookups?: Record<string, number>;
  /** Warnings the server logged during the run. */
  serverLog?: { warn: number; error: number; samples: string[] };
  /** This API's figures divided by the peer's for the same workload (`--peer`): above 1 is faster for rps. */
  vsPeer?: Ratios;
  /** How long the bench waited for a quiet machine before the warm-up (bench/settle.ts). */
  settled?: Settled;
  /** A workload measured in rounds: its reference's name and every round (the first is this record's run). */
  rounds?: { reference: string; runs: Round[] };
}

/** One round: the reference's req/s, this workload's, their ratio, and the peer's run of the round. */
export interface Round {
  reference: number;
  rps: number;
  ratio: number;
  peer?: number;
  vsPeer?: number;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The rounds of a workload that ran more than once, else undefined. */
const roundsOf = (r: WorkloadRecord) => (r.rounds && r.rounds.runs.length > 1 ? r.rounds : undefined);

/** The ratio a target reads: the median round's when the workload ran in rounds, else the run's own. */
export const judgedRatio = (r: WorkloadRecord): number => {
  const rounds = roundsOf(r);
  return rounds ? round(median(rounds.runs.map((x) => x.ratio))) : r.ratio.rps;
};

/** The rounds of `r` in one line, or undefined when it ran once. */
export function formatRounds(r: WorkloadRecord): string | undefined {
  const rounds = roundsOf(r);
  if (!rounds) return undefined;
  const { reference, runs } = rounds;
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const peers = runs.flatMap((x) => (x.vsPeer === undefined ? [] : [x.vsPeer]));
  const peerPart = peers.length ? `; vs peer ${peers.map((v) => `${v}x`).join(', ')} (median ${round(median(peers))}x)` : '';
  return `rounds: ${r.name} alternated with ${reference} ${runs.length} times: ${runs.map((x) => `${x.rps}/s = ${pct(x.ratio)} of ${x.reference}/s`).join(', ')}; median ${pct(judgedRatio(r))}${peerPart}`;
}

/** The pipeline bench's figures the targets read (bench/pipeline.ts returns more). */
interface PipelineFigures {
  produced_per_s: number;
  aggregated_per_s: number;
  flush_interval_s: number;
  flush_lag_ms: { p95: number };
  redis_bytes_per_click?: { info_delta: number; dedup_keys: number };
}

export interface Target {
  target: string;
  value: string;
  met: boolean | null;
}

export interface Report {
  command: string;
  commit: string;
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  settings: BenchSettings;
  workloads: WorkloadRecord[];
  components: Record<string, unknown>;
  targets: Target[];
  failures: string[];
  /** How long the bench waited for a quiet machine before the component benches (bench/settle.ts). */
  componentsSettled?: Settled;
  /** The same workloads on another server (`--peer URL`), in the same run. */
  peer?: { url: string; workloads: WorkloadRecord[] };
  /** Self time of the API process when run with --profile. */
  profile?: ProfileSummary & { file: string; workload?: string };
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Divides every figure by the ceiling's (0 when there is no ceiling figure). */
export function ratiosTo(stats: LoadStats, ceiling: LoadStats | undefined): Ratios {
  const div = (a: number, b: number | undefined) => (b ? round(a / b) : 0);
  const c = ceiling?.latencyMs;
  return {
    rps: div(stats.rps, ceiling?.rps),
    p50: div(stats.latencyMs.p50, c?.p50),
    p90: div(stats.latencyMs.p90, c?.p90),
    p99: div(stats.latencyMs.p99, c?.p99),
    max: div(stats.latencyMs.max, c?.max),
  };
}

/** This API's figures divided by the peer's (rps above 1: this API is faster; latencies below 1: lower). */
export function peerRatios(ours: LoadStats, peer: LoadStats): Ratios {
  const div = (a: number, b: number) => (b ? round(a / b) : 0);
  return {
    rps: div(ours.rps, peer.rps),
    p50: div(ours.latencyMs.p50, peer.latencyMs.p50),
    p90: div(ours.latencyMs.p90, peer.latencyMs.p90),
    p99: div(ours.latencyMs.p99, peer.latencyMs.p99),
    max: div(ours.latencyMs.max, peer.latencyMs.max),
  };
}

/** The commit measured, with `+dirty` when tracked files differ from it. */
export function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** The machine the numbers belong to. */
export function machineInfo(): Report['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAvgStart: os.loadavg().map((v) => round(v, 2)),
    loadAvgEnd: [],
  };
}

/** The targets of the benchmark issue, judged on this run (a number never fails the bench). */
export function judgeTargets(workloads: WorkloadRecord[], components: Record<string, unknown> = {}): Target[] {
  const w = (name: string) => workloads.find((x) => x.name === name);
  const targets: Target[] = [];
  const add = (target: string, rec: WorkloadRecord | undefined, value: (r: WorkloadRecord) => string, met: (r: WorkloadRecord) => boolean) =>
    targets.push(rec ? { target, value: value(rec), met: met(rec) } : { target, value: 'not measured', met: null });
  add('cache-hit redirects >= 50% of the ceiling (autocannon)', w('hit'), (r) => `${Math.round(r.ratio.rps * 100)}%`, (r) => r.ratio.rps >= 0.5);
  const rounds = (r: WorkloadRecord) => {
    const n = roundsOf(r)?.runs.length;
    return n ? ` (median of ${n} rounds)` : '';
  };
  add('cache-hit redirects >= 50% of the ceiling (wrk, as the issue measured)', w('hit-wrk'), (r) => `${Math.round(judgedRatio(r) * 100)}%${rounds(r)}`, (r) => judgedRatio(r) >= 0.5);
  const floor = w('ceiling-half-paced');
  const floorNote = floor ? ` (the ceiling at ${floor.rate}/s: ${floor.latencyMs.p99} ms)` : '';
  add('p99 < 5 ms at half the peak (steady rate)', w('hit-half-paced'), (r) => `${r.latencyMs.p99} ms at ${r.rate}/s${floorNote}`, (r) => r.latencyMs.p99 < 5);
  add('p99 < 5 ms at half the peak (autocannon overallRate)', w('hit-half'), (r) => `${r.latencyMs.p99} ms at ${r.rate}/s`, (r) => r.latencyMs.p99 < 5);
  add('creates >= 10,000/s (autocannon)', w('create'), (r) => `${r.rps}/s`, (r) => r.rps >= 10_000);
  add('creates p99 < 20 ms (autocannon)', w('create'), (r) => `${r.latencyMs.p99} ms`, (r) => r.latencyMs.p99 < 20);
  add('creates >= 10,000/s (wrk)', w('create-wrk'), (r) => `${r.rps}/s`, (r) => r.rps >= 10_000);
  add('creates p99 < 20 ms (wrk)', w('create-wrk'), (r) => `${r.latencyMs.p99} ms`, (r) => r.latencyMs.p99 < 20);
  add('mixed workload with 0 errors', w('mixed'), (r) => `${r.errors} errors`, (r) => r.errors === 0);
  const pipeline = components.pipeline as Partial<PipelineFigures> | undefined;
  const measured = typeof pipeline === 'object' && typeof pipeline?.aggregated_per_s === 'number';
  const judge = (target: string, value: () => string, met: () => boolean) =>
    targets.push(measured ? { target, value: value(), met: met() } : { target, value: 'not measured', met: null });
  const p = pipeline as PipelineFigures;
  judge('pipeline >= 100,000 clicks/s produced and aggregated', () => `${p.produced_per_s}/s produced, ${p.aggregated_per_s}/s aggregated`,
    () => p.produced_per_s >= 100_000 && p.aggregated_per_s >= 100_000);
  judge('flush lag p95 < 2 flush intervals', () => `${p.flush_lag_ms.p95} ms at ${p.flush_interval_s} s`, () => p.flush_lag_ms.p95 < 2000 * p.flush_interval_s);
  judge('Redis dedup memory <= 10 bytes per click', () => `${p.redis_bytes_per_click?.info_delta} B (INFO), ${p.redis_bytes_per_click?.dedup_keys} B (dedup keys)`,
    () => (p.redis_bytes_per_click?.info_delta ?? Infinity) <= 10);
  return targets;
}

const pad = (s: string, n: number, left = false) => (left ? s.padStart(n) : s.padEnd(n));

/** The terminal table (also the one bench/README.md quotes). */
export function formatTable(report: Report): string {
  const withPeer = report.peer !== undefined;
  const head = ['workload', 'server', 'req/s', 'of ceiling', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'rate', ...(withPeer ? ['vs peer'] : [])];
  const widths = [18, 10, 8, 10, 8, 8, 8, 8, 8, 7, ...(withPeer ? [8] : [])];
  const row = (cells: string[]) => '| ' + cells.map((c, i) => pad(c, widths[i], i >= 2)).join(' | ') + ' |';
  const lines = [row(head), '|' + widths.map((n, i) => (i >= 2 ? '-'.repeat(n + 1) + ':' : '-'.repeat(n + 2))).join('|') + '|'];
  const line = (name: string, server: string, f: Figures, rate?: number, vsPeer?: Ratios) =>
    lines.push(
      row([name, server, String(f.rps), `${Math.round(f.ratio.rps * 100)}%`, String(f.latencyMs.p50), String(f.latencyMs.p90),
        String(f.latencyMs.p99), String(f.latencyMs.max), String(f.errors), rate ? String(rate) : '',
        ...(withPeer ? [vsPeer ? `${vsPeer.rps}x` : ''] : [])]),
    );
  for (const w of report.workloads) {
    line(w.name, w.server, w, w.rate, w.vsPeer);
    for (const [part, f] of Object.entries(w.parts ?? {})) line(`  ${part}`, w.server, f);
    const p = report.peer?.workloads.find((x) => x.name === w.name);
    if (p) {
      line(w.name, 'peer', p, p.rate);
      for (const [part, f] of Object.entries(p.parts ?? {})) line(`  ${part}`, 'peer', f);
    }
  }
  return lines.join('\n');
}

/** Header, table, components and targets as printed at the end of a run. */
export function formatReport(report: Report): string {
  const m = report.machine;
  const out = [
    `linkhop bench  ${report.date}  commit ${report.commit}`,
    `command: ${report.command}`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average ${m.loadAvgStart.join(' ')} -> ${m.loadAvgEnd.join(' ')}`,
    `settings: ${report.settings.connections} connections, ${report.settings.durationS} s measured after ${report.settings.warmupS} s warm-up, API_WORKERS=${report.settings.apiWorkers}, ${report.settings.rounds} round(s)${report.settings.quick ? ' (quick)' : ''}`,
    ...(report.peer ? [`peer: ${report.peer.url} (each workload right after ours; "vs peer" = our req/s over the peer's)`] : []),
    '',
    formatTable(report),
    '',
  ];
  const start = report.workloads.find((w) => w.name === 'ceiling');
  const end = report.workloads.find((w) => w.name === 'ceiling-end');
  if (start && end) {
    const drift = Math.round((end.rps / start.rps - 1) * 100);
    out.push(`noise: the ceiling moved ${drift >= 0 ? '+' : ''}${drift}% between the start and the end of the run; distrust smaller differences`, '');
  }
  for (const line of report.workloads.flatMap((w) => formatRounds(w) ?? [])) out.push(line, '');
  const settles = [...report.workloads, ...(report.peer?.workloads ?? [])].flatMap((w) => (w.settled ? [w.settled] : []));
  if (settles.length) {
    const waits = settles.map((s) => s.waitedMs / 1000);
    const loud = settles.filter((s) => !s.quiet).length;
    out.push(`settled: ${Math.min(...waits).toFixed(1)}-${Math.max(...waits).toFixed(1)} s waited for a quiet machine before each workload${loud ? `; ${loud} started without one` : ''}`, '');
  }
  for (const [name, value] of Object.entries(report.components)) out.push(`${name}: ${JSON.stringify(value)}`);
  out.push('', 'targets:');
  for (const t of report.targets) out.push(`  [${t.met === null ? ' ' : t.met ? 'x' : '!'}] ${t.target}: ${t.value}`);
  if (report.failures.length) out.push('', 'BROKEN:', ...report.failures.map((f) => `  - ${f}`));
  return out.join('\n');
}

/** Writes the report to bench/results/<YYYY-MM-DD>T<HHMM>[-quick].json (UTC) and returns the path. */
export function writeReport(report: Report, dir = path.join(__dirname, 'results')): string {
  mkdirSync(dir, { recursive: true });
  const stamp = report.date.slice(0, 16).replace(':', '');
  const suffix = report.settings.quick ? '-quick' : '';
  let file = path.join(dir, `${stamp}${suffix}.json`);
  if (existsSync(file)) file = path.join(dir, `${report.date.slice(0, 19).replace(/:/g, '')}${suffix}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
