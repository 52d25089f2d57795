/**
 * The processes a benchmark measures: the API (production mode, its own port), the keygen worker that feeds
 * its code pool as in production, and the raw node:http ceiling. Each is a child process so the load
 * generator never shares an event loop with the server it measures; every child is killed if the bench dies.
 */
import { Child, freePort, startProcess } from '../infra/child';
import type { Config } from '../infra/config';
import { processDef, type ProcessName } from '../infra/processes';

const live = new Set<Child>();
process.once('exit', () => {
  for (const child of live) child.proc.kill('SIGKILL');
});
// An interrupted bench must not leave servers behind: exit (running the hook above) on the first signal.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

/** A token the bench sets so it can read /metrics whatever the API's default exposure is. */
export const BENCH_METRICS_TOKEN = 'linkhop-bench-metrics';

/**
 * Where a bench's data lives: its own PostgreSQL and ClickHouse databases, cache Redis db and deployment
 * names (topics, groups, keys, queue prefix, task queue, Schedule ids: infra/deployment.ts), so a run
 * neither reads nor pollutes the development data on the same servers. Component benches get this too.
 */
export function benchIsolation(config: Config): Record<string, string> {
  const db = new URL(config.DATABASE_URL);
  db.pathname = `/${db.pathname.replace(/^\//, '')}_bench`;
  const cache = new URL(config.REDIS_URL);
  cache.pathname = '/1';
  return {
    DATABASE_URL: db.toString(),
    REDIS_URL: cache.toString(),
    CLICKHOUSE_DATABASE: `${config.CLICKHOUSE_DATABASE}_bench`,
    DEPLOYMENT_PREFIX: 'linkhop_bench',
    // Production refuses the development key; the bench's codes only need to be its own.
    SHORT_CODE_KEY: 'linkhop-bench-short-code-key',
  };
}

/**
 * The environment of the processes the bench measures: production mode over the bench's data, with
 * deployment names of their own, so millions of redirect clicks never reach the pipeline bench's consumer.
 * Their own click consumer and Temporal worker count and flush them, as in production.
 */
export function benchEnvironment(config: Config): Record<string, string> {
  return {
    ...benchIsolation(config),
    DEPLOYMENT_PREFIX: 'linkhop_bench_api',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    METRICS_TOKEN: BENCH_METRICS_TOKEN,
    HOST: '127.0.0.1',
  };
}

/** Warnings a bench process logged during a run: they explain its numbers (keygen fallbacks, Redis timeouts). */
export interface Warnings {
  warn: number;
  error: number;
  samples: Set<string>;
}

/** One child process of the bench: the shared Child plus its URL and the warnings it logged. */
export interface BenchProcess {
  name: string;
  url: string;
  child: Child;
  warnings: Warnings;
  running: boolean;
  stop(): Promise<number | null>;
  tail(lines?: number): string;
}

function benchProcess(child: Child, url: string, warnings: Warnings): BenchProcess {
  live.add(child);
  void child.exited.then(() => live.delete(child));
  return {
    name: child.name,
    url,
    child,
    warnings,
    get running() {
      return child.running;
    },
    stop: () => child.stop('SIGTERM'),
    tail: (lines = 30) => child.tail(lines),
  };
}

/** Spawn options that count the warnings a process logs into `warnings`. */
function counting(warnings: Warnings): (line: string) => void {
  return (line) => {
    const m = /"level":"(warn|error|fatal)".*?"msg":"([^"]*)"/.exec(line);
    if (!m) return;
    if (m[1] === 'warn') warnings.warn++;
    else warnings.error++;
    if (warnings.samples.size < 5) warnings.samples.add(`${m[1]}: ${m[2]}`);
  };
}

const newWarnings = (): Warnings => ({ warn: 0, error: 0, samples: new Set() });

/** Starts the ceiling server over `linksFile` (JSON {code: url}); it is the bench's own, not in the manifest. */
export async function startCeiling(linksFile: string): Promise<BenchProcess> {
  const port = await freePort();
  const warnings = newWarnings();
  const child = new Child({ name: 'ceiling', entry: 'bench/ceiling.ts', args: [String(port), linksFile], onLine: counting(warnings) });
  const proc = benchProcess(child, `http://127.0.0.1:${port}`, warnings);
  await child.waitForLine(/ceiling listening/, 30_000);
  return proc;
}

export interface ApiOptions {
  /** Extra environment (e.g. LRU settings). */
  env?: Record<string, string>;
  /** Write V8 CPU profiles (one per thread; the main thread's has tid 0) into this folder at exit. */
  cpuProfileDir?: string;
}

/** Starts a manifest process on the bench's environment and resolves once it is ready (the API: GET /ready). */
async function startManifest(name: string, process: ProcessName, env: Record<string, string>, opts: { port?: number; nodeFlags?: string[] } = {}): Promise<BenchProcess> {
  const def = processDef(process);
  const warnings = newWarnings();
  const url = opts.port ? `http://127.0.0.1:${opts.port}` : '';
  const child = await startProcess(def, { name, env, nodeFlags: opts.nodeFlags, onLine: counting(warnings), baseUrl: url || undefined });
  return benchProcess(child, url, warnings);
}

/** Starts an API process and resolves once GET /ready answers 200. */
export async function startApi(name: string, base: Record<string, string>, opts: ApiOptions = {}): Promise<BenchProcess> {
  const port = await freePort();
  const flags = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const env = { ...base, ...opts.env, PORT: String(port), BASE_URL: `http://127.0.0.1:${port}` };
  return startManifest(name, 'api', env, { port, nodeFlags: flags });
}

/** Starts a worker process of the manifest on the bench's environment (info level, for its ready line). */
export async function startWorker(process: Exclude<ProcessName, 'api'>, base: Record<string, string>): Promise<BenchProcess> {
  return startManifest(process, process, { ...base, LOG_LEVEL: 'info' });
}

/** The API's link_lookups_total counters by `layer/result` (which cache layer answered). */
export async function readLookups(apiUrl: string): Promise<Record<string, number>> {
  const res = await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  const text = await res.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^link_lookups_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out[`${labels.layer}/${labels.result}`] = Number(m[2]);
  }
  return out;
}

/** `after - before`, without the counters that did not move. */
export function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
