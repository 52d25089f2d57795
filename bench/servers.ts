/**
 * The processes a benchmark measures: the API (production mode, its own port), the keygen worker that feeds
 * its code pool as in production, and the raw node:http ceiling. Each is a child process so the load
 * generator never shares an event loop with the server it measures; every child is killed if the bench dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../infra/config';
import { freePort, waitUntil } from '../test/helpers/processes';

const ROOT = path.resolve(__dirname, '..');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
// An interrupted bench must not leave servers behind: exit (running the hook above) on the first signal.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

/** A token the bench sets so it can read /metrics whatever the API's default exposure is. */
export const BENCH_METRICS_TOKEN = 'linkhop-bench-metrics';

/**
 * Where a bench's data lives: its own database and cache Redis db, queue prefix, topics and schedule ids, so
 * a run neither reads nor pollutes the development data on the same servers. Component benches get this too.
 */
export function benchIsolation(config: Config): Record<string, string> {
  const db = new URL(config.DATABASE_URL);
  db.pathname = `/${db.pathname.replace(/^\//, '')}_bench`;
  const cache = new URL(config.REDIS_URL);
  cache.pathname = '/1';
  return {
    DATABASE_URL: db.toString(),
    REDIS_URL: cache.toString(),
    QUEUE_PREFIX: 'linkhop-bench',
    KAFKA_CLICK_TOPIC: 'linkhop_bench_click_events',
    KAFKA_DEAD_LETTER_TOPIC: 'linkhop_bench_click_events_dlq',
    INGESTION_CONSUMER_GROUP: 'linkhop_bench_ingestion',
    CLICK_BUFFER_KEY_PREFIX: 'linkhop_bench_click_buffer',
    SCHEDULE_ID_PREFIX: 'bench-',
    // Production refuses the development key; the bench's codes only need to be its own.
    SHORT_CODE_KEY: 'linkhop-bench-short-code-key',
  };
}

/**
 * The environment of the processes the bench measures: production mode over the bench's data. Their clicks
 * go to a topic and key prefix of their own that nothing consumes (the pipeline bench measures consuming),
 * so millions of redirect clicks never reach a consumer started on the pipeline bench's topic.
 */
export function benchEnvironment(config: Config): Record<string, string> {
  return {
    ...benchIsolation(config),
    KAFKA_CLICK_TOPIC: 'linkhop_bench_api_click_events',
    KAFKA_DEAD_LETTER_TOPIC: 'linkhop_bench_api_click_events_dlq',
    INGESTION_CONSUMER_GROUP: 'linkhop_bench_api_ingestion',
    CLICK_BUFFER_KEY_PREFIX: 'linkhop_bench_api_clicks',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    METRICS_TOKEN: BENCH_METRICS_TOKEN,
    HOST: '127.0.0.1',
  };
}

/** One child process of the bench, with the tail of its output for error messages. */
export class BenchProcess {
  private readonly output: string[] = [];
  private readonly exited: Promise<number | null>;
  readonly warnings = { warn: 0, error: 0, samples: new Set<string>() };

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        resolve(code);
      }),
    );
    const onData = (chunk: Buffer) => this.collect(chunk.toString('utf8'));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when `line` appears in the output; rejects if the process exits or `timeoutMs` passes. */
  async waitForLine(line: RegExp, timeoutMs: number): Promise<void> {
    await waitUntil(
      () => {
        if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
        return line.test(this.output.join(''));
      },
      timeoutMs,
      () => `${this.name} not ready:\n${this.tail()}`,
      100,
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 30): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  private collect(text: string): void {
    this.output.push(text);
    if (this.output.length > 300) this.output.splice(0, this.output.length - 300);
    // Warnings during a run explain its numbers (keygen fallbacks, Redis timeouts): count them.
    for (const m of text.matchAll(/"level":"(warn|error|fatal)".*?"msg":"([^"]*)"/g)) {
      if (m[1] === 'warn') this.warnings.warn++;
      else this.warnings.error++;
      if (this.warnings.samples.size < 5) this.warnings.samples.add(`${m[1]}: ${m[2]}`);
    }
  }
}

function spawnNode(name: string, args: string[], env: Record<string, string>, url: string): BenchProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new BenchProcess(name, child, url);
}

/** Starts the ceiling server over `linksFile` (JSON {code: url}). */
export async function startCeiling(linksFile: string): Promise<BenchProcess> {
  const port = await freePort();
  const proc = spawnNode('ceiling', ['--import', 'tsx', 'bench/ceiling.ts', String(port), linksFile], {}, `http://127.0.0.1:${port}`);
  await proc.waitForLine(/ceiling listening/, 30_000);
  return proc;
}

export interface ApiOptions {
  /** Extra environment (e.g. LRU settings). */
  env?: Record<string, string>;
  /** Write V8 CPU profiles (one per thread; the main thread's has tid 0) into this folder at exit. */
  cpuProfileDir?: string;
}

/** Starts an API process and resolves once GET /ready answers 200 (every dependency reachable). */
export async function startApi(name: string, base: Record<string, string>, opts: ApiOptions = {}): Promise<BenchProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const flags = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const env = { ...base, ...opts.env, PORT: String(port), BASE_URL: url };
  const proc = spawnNode(name, [...flags, '--import', 'tsx', 'api/server.ts'], env, url);
  let last = 'no answer';
  await waitUntil(
    async () => {
      if (!proc.running) throw new Error(`${name} exited before it was ready:\n${proc.tail()}`);
      try {
        const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) });
        last = `${res.status} ${await res.text()}`;
        return res.status === 200;
      } catch (err) {
        last = (err as Error).message;
        return false;
      }
    },
    90_000,
    () => `${name} not ready (last /ready: ${last}):\n${proc.tail()}`,
    250,
  );
  return proc;
}

/** Starts the keygen worker on the bench's queue prefix (the API asks it for ID blocks, as in production). */
export async function startKeygenWorker(base: Record<string, string>): Promise<BenchProcess> {
  // Info level for its one ready line; it logs nothing per request.
  const proc = spawnNode('keygen-worker', ['--import', 'tsx', 'queues/keygen/worker.ts'], { ...base, LOG_LEVEL: 'info' }, '');
  await proc.waitForLine(/keygen worker ready/, 90_000);
  return proc;
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
