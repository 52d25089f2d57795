/**
 * The pipeline bench's waits: the flush-lag probes (a probe click's send -> visible in urls.clicks) and the
 * wait for the consumer's counted clicks. Both are bounded and stop on request, so a run that goes wrong
 * ends with an error that says what was missing instead of polling a closed pool.
 */
import type { Pool } from 'pg';
import { sleep } from '../infra/wait';

export interface ProbeWatch {
  /** Call right after sending a probe click. */
  sent(): void;
  /** Probes sent, and the lag (ms) of each one seen in urls.clicks so far, in send order. */
  readonly sentAt: readonly number[];
  readonly lags: readonly number[];
  /**
   * Waits up to `waitMs` for the probes still in flight, then stops polling; rethrows a failed poll.
   * Safe to call twice (a finally after an early error).
   */
  stop(waitMs: number): Promise<void>;
}

/**
 * Polls the probe link's urls.clicks every 25 ms. Probes go to one code, hence one partition: they are
 * counted in send order, so the n-th count seen is the n-th probe sent.
 */
export function watchProbes(pool: Pool, probe: string): ProbeWatch {
  const sentAt: number[] = [];
  const lags: number[] = [];
  let deadline = Infinity;
  let stopping = false;
  let failure: Error | undefined;
  const done = (async () => {
    while (!stopping || (lags.length < sentAt.length && Date.now() < deadline)) {
      const { rows } = await pool.query<{ clicks: string }>('SELECT clicks FROM urls WHERE short_code = $1', [probe]);
      const n = Math.min(Number(rows[0]?.clicks ?? 0), sentAt.length);
      const now = Date.now();
      while (lags.length < n) lags.push(now - sentAt[lags.length]);
      await sleep(25);
    }
  })().catch((err: unknown) => {
    // Kept for stop(): an unobserved rejection here would take the whole bench process down.
    failure = err as Error;
  });
  return {
    sent: () => void sentAt.push(Date.now()),
    sentAt,
    lags,
    async stop(waitMs) {
      deadline = Math.min(deadline, Date.now() + waitMs);
      stopping = true;
      await done;
      if (failure) throw failure;
    },
  };
}

/**
 * Waits until `count()` reaches `target`; fails when it has not moved for `stallMs` (a lost click never
 * arrives, so waiting longer only hides it), saying how far it got.
 */
export async function waitForCount(count: () => Promise<number>, target: number, what: string, stallMs = 30_000): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const n = await count();
    if (n >= target) return;
    if (n !== last) {
      last = n;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: stuck at ${n} of ${target} for ${stallMs / 1000} s`);
    }
    await sleep(50);
  }
}
