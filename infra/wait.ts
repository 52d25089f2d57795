/**
 * The one poll-until loop. Everything that waits for something observable (a port that answers, a log
 * line, a count in PostgreSQL) calls this, so timeouts and failure messages read the same everywhere.
 */
export interface WaitOptions {
  timeoutMs: number;
  /** Pause between checks (default 250 ms). */
  intervalMs?: number;
  /** Explains the last state in the timeout error. */
  describe?: () => Promise<string> | string;
  /** Consulted before every check: a reason stops the wait at once (a child that died while starting). */
  bail?: () => string | undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` returns true; rejects after `timeoutMs` (or when `bail` gives a reason). */
export async function waitUntil(check: () => Promise<boolean> | boolean, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const reason = opts.bail?.();
    if (reason) throw new Error(reason);
    if (await check()) return;
    if (Date.now() > deadline) {
      const why = opts.describe ? `: ${await opts.describe()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms${why}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
