/**
 * `npm run bench [-- --quick] [--only a,b] [--connections N] [--duration S] [--warmup S] [--profile] [--peer URL] [--api-workers N] [--rounds N]`:
 * measures the API against the raw node:http ceiling (and, with --peer, against another server speaking the
 * same API, workload by workload), prints the table and writes bench/results/<date>.json.
 * Exits non-zero only when the bench is broken, never because of a number.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatProfile } from './profile';
import { formatReport, writeReport } from './report';
import { runBench } from './session';
import { WORKLOADS } from './workloads';

const USAGE = `usage: npm run bench -- [--quick] [--only name,...] [--connections N] [--duration S] [--warmup S] [--profile] [--peer URL] [--api-workers N] [--rounds N]
workloads: ${WORKLOADS.map((w) => w.name).join(', ')}, keygen, pipeline, analytics (--only; see bench/README.md)`;

/** The peer's origin (no trailing slash); a bad URL stops the bench before anything starts. */
function peerUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'http:') throw new Error(`--peer must be an http:// URL, got ${value}`);
  return url.origin;
}

/** --api-workers: API_WORKERS of the measured API (default 1, the product's default; 0 is one process per core). */
function apiWorkers(value: string | undefined): number {
  const n = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`--api-workers must be an integer from 0 to 64, got ${value}`);
  return n;
}

/** --rounds: how many times hit-wrk is measured against ceiling-wrk (default 3, 1 with --quick). */
function rounds(value: string | undefined, quick: boolean): number {
  const n = value === undefined ? (quick ? 1 : 3) : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`--rounds must be an integer from 1 to 20, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      profile: { type: 'boolean', default: false },
      peer: { type: 'string' },
      'api-workers': { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const num = (v: string | undefined, def: number, name: string) => {
    const n = v === undefined ? def : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '');
  const profileName = values.profile ? `api-${stamp}.cpuprofile` : undefined;
  const report = await runBench({
    quick,
    // autocannon stops on its 1 s sampling tick, so durations are whole seconds.
    connections: Math.round(num(values.connections, quick ? 16 : 64, 'connections')),
    durationS: Math.ceil(num(values.duration, quick ? 2 : 10, 'duration')),
    warmupS: Math.ceil(num(values.warmup, quick ? 1 : 3, 'warmup')),
    apiWorkers: apiWorkers(values['api-workers']),
    rounds: rounds(values.rounds, quick),
    only: values.only ? values.only.flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean) : null,
    profileName,
    peer: values.peer === undefined ? undefined : peerUrl(values.peer),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  });
  console.log(formatReport(report));
  if (report.profile) console.log(`\n${report.profile.workload}: ${formatProfile(report.profile)}\nprofile: ${report.profile.file}`);
  console.log(`\nresults: ${path.relative(process.cwd(), writeReport(report))}`);
  return report.failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
