/**
 * The pipeline bench's waits: the flush-lag probes (a probe click's aggregation -> visible in urls.clicks) and the
 * wait for the consumer's counted clicks. Both are bounded and stop on request, so a run that goes wrong
 * ends with an error that says what was missing instead of polling a closed pool.
 */
import type { ClickCount } from '../queues/click-ledger';
import { sleep } from '../infra/wait';

export interface ProbeWatch {
  /** Call right after sending a probe click. */
  sent(): void;
  /** When each probe was sent, in send order. */
  readonly sentAt: readonly number[];
  /** Per probe seen in urls.clicks: ms from its aggregation (counted by the consumer) to urls.clicks. */
  readonly flushLags: readonly number[];
  /** Per probe seen in urls.clicks: ms from its send to urls.clicks (adds the producer's queue and Kafka). */
  readonly endToEnd: readonly number[];
  /**
   * Waits up to `waitMs` for the probes still in flight, then stops polling; rethrows a failed poll.
   * Safe to call twice (a finally after an early error).
   */
  stop(waitMs: number): Promise<void>;
}

/**
 * Polls the probe link's count every 25 ms through the click ledger's exact read (pending + snapshot +
 * urls.clicks, `total`, versus urls.clicks alone, `flushed`). Probes go to one code, hence one partition:
 * they are aggregated and flushed in send order, so the n-th click counted or flushed is the n-th probe.
 */
export function watchProbes(read: () => Promise<ClickCount | null>): ProbeWatch {
  const sentAt: number[] = [];
  const aggregatedAt: number[] = [];
  const flushLags: number[] = [];
  const endToEnd: number[] = [];
  let deadline = Infinity;
  let stopping = false;
  let failure: Error | undefined;
  const done = (async () => {
    while (!stopping || (flushLags.length < sentAt.length && Date.now() < deadline)) {
      const count = await read();
      if (!count) throw new Error('the probe link is gone');
      const now = Date.now();
      // A probe is first seen counted and flushed in the same poll when a flush ran in between: lag 0 to 25 ms.
      while (aggregatedAt.length < Math.min(count.total, sentAt.length)) aggregatedAt.push(now);
      while (flushLags.length < Math.min(count.flushed, aggregatedAt.length)) {
        flushLags.push(now - aggregatedAt[flushLags.length]);
        endToEnd.push(now - sentAt[endToEnd.length]);
      }
      await sleep(25);
    }
  })().catch((err: unknown) => {
    // Kept for stop(): an unobserved rejection here would take the whole bench process down.
    failure = err as Error;
  });
  return {
    sent: () => void sentAt.push(Date.now()),
    sentAt,
    flushLags,
    endToEnd,
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
