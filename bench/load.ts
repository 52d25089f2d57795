/**
 * One load run with autocannon, counted by status code: a response is a success only when it carries the
 * expected status (a 307 is the redirect's success, not an error as the seed's benchmark counted it).
 * Latencies are kept per response in microsecond precision (autocannon's own histogram rounds to 1 ms).
 */
import autocannon from 'autocannon';

/** One request of a workload; called for every request, so it can pick a code or build a body. */
export interface RequestShape {
  method?: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface LoadSpec {
  /** Origin of the server under load. */
  url: string;
  connections: number;
  /** Fixed duration in seconds (closed loop), unless `amount` is given. */
  durationS: number;
  /** Stop after this many requests instead of after `durationS`. */
  amount?: number;
  /** autocannon's overallRate: at most this many requests per second in all. */
  overallRate?: number;
  expectStatus: number;
  next: () => RequestShape;
}

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadStats {
  /** Successful responses (expected status) per second. */
  rps: number;
  latencyMs: LatencyMs;
  /** Responses with another status, plus socket errors and timeouts. */
  errors: number;
  ok: number;
  responses: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  durationS: number;
  connections: number;
}

/** Percentiles of `samples` (ms), rounded to microseconds. */
export function latencySummary(samples: Float64Array): LatencyMs {
  if (samples.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]) };
}

/** A growable list of latency samples. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  static concat(parts: Samples[]): Samples {
    const all = new Samples();
    for (const p of parts) for (const v of p.values()) all.push(v);
    return all;
  }
}

export interface LoadRun {
  stats: LoadStats;
  samples: Samples;
}

/** Runs `spec` to completion and returns its statistics. */
export async function runLoad(spec: LoadSpec): Promise<LoadRun> {
  const samples = new Samples();
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let finish: (err: unknown, result?: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (err, result) => (err || !result ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result));
  });
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    amount: spec.amount,
    overallRate: spec.overallRate,
    timeout: 10,
    requests: [
      {
        setupRequest: (req) => {
          const shape = spec.next();
          const headers = shape.body === undefined ? req.headers : { ...req.headers, 'content-type': 'application/json' };
          return { ...req, method: shape.method ?? 'GET', path: shape.path, body: shape.body, headers };
        },
      },
    ],
  }, (err, result) => finish(err, result));
  instance.on('response', (_client, status, _bytes, ms) => {
    samples.push(ms);
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    if (status === spec.expectStatus) ok++;
  });
  const result = await finished;
  const responses = samples.length;
  // autocannon's `errors` already includes its timeouts.
  const errors = responses - ok + result.errors;
  return {
    samples,
    stats: {
      rps: Math.round(ok / result.duration),
      latencyMs: latencySummary(samples.values()),
      errors,
      ok,
      responses,
      timeouts: result.timeouts,
      statusCounts,
      durationS: result.duration,
      connections: spec.connections,
    },
  };
}

/** Merges concurrent runs (the mixed workload) into one: rates add up, latencies pool. */
export function mergeRuns(runs: LoadRun[]): LoadRun {
  const samples = Samples.concat(runs.map((r) => r.samples));
  const statusCounts: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.stats.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  const sum = (f: (s: LoadStats) => number) => runs.reduce((acc, r) => acc + f(r.stats), 0);
  return {
    samples,
    stats: {
      rps: sum((s) => s.rps),
      latencyMs: latencySummary(samples.values()),
      errors: sum((s) => s.errors),
      ok: sum((s) => s.ok),
      responses: sum((s) => s.responses),
      timeouts: sum((s) => s.timeouts),
      statusCounts,
      durationS: Math.max(...runs.map((r) => r.stats.durationS)),
      connections: sum((s) => s.connections),
    },
  };
}
