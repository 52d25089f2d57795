/**
 * A redirect load generator for pipeline tests: keep-alive HTTP GETs of short codes spread evenly over
 * codes and over the API processes that are up, counting the 307s received per code (the ground truth the
 * pipeline must match) and their latencies.
 */
import http from 'node:http';

export interface LoadOptions {
  /** Base URLs of the APIs that may take requests right now (re-read before every request). */
  targets: () => string[];
  codes: readonly string[];
  total: number;
  concurrency: number;
  /** Called after each 307 with the number received so far (to trigger faults at given points). */
  onProgress?: (received: number) => void;
  /** Keeps the load going past `total` while this returns true (e.g. until every fault has run). */
  keepGoing?: () => boolean;
  /** Filled live with the 307s per code (pass one in to watch it during the load). */
  byCode?: Map<string, number>;
}

export interface LoadResult {
  byCode: Map<string, number>;
  received: number;
  /** requests that did not end in a 307 (refused while an API restarts, ...) */
  failed: number;
  /** milliseconds of each 307, in completion order */
  latencies: number[];
  seconds: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One GET; resolves to the status (0 on a network error) and the elapsed milliseconds. */
export function getStatus(url: string): Promise<{ status: number; ms: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
      res.once('error', () => resolve({ status: 0, ms: 0 }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve({ status: 0, ms: 0 }));
  });
}

/** Sends `total` successful redirects or more (see keepGoing); failed attempts move on to the next code and target. */
export async function runRedirectLoad(opts: LoadOptions): Promise<LoadResult> {
  const byCode = opts.byCode ?? new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  let received = 0;
  let failed = 0;
  let rr = 0;
  const started = Date.now();

  const worker = async () => {
    while (received + inFlight < opts.total || opts.keepGoing?.()) {
      const targets = opts.targets();
      if (targets.length === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const code = opts.codes[next++ % opts.codes.length];
      const base = targets[rr++ % targets.length];
      inFlight++;
      const { status, ms } = await getStatus(`${base}/${code}`);
      inFlight--;
      if (status === 307) {
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
        latencies.push(ms);
        received++;
        opts.onProgress?.(received);
      } else {
        failed++;
        if (failed > Math.max(opts.total, received)) throw new Error(`too many failed redirects (last status ${status})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  let inFlight = 0;
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { byCode, received, failed, latencies, seconds: (Date.now() - started) / 1000 };
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
}
