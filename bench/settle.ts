/**
 * Waits for the machine to go quiet before a measurement, so that the work one workload leaves behind (the
 * click consumer's backlog, ClickHouse merging the parts of its inserts, a JIT still compiling) is not billed
 * to the next one: every redirect figure includes its own clicks' downstream work, not its predecessor's.
 * Reads the cores' busy share from /proc/stat; returns once one window was quieter than `busyBelow`, or after
 * `maxMs` in any case. Where /proc/stat does not exist it returns at once and says so.
 */
import { readFile } from 'node:fs/promises';

export interface SettleOptions {
  /** Busy share of all cores (0-1) under which the machine counts as quiet. */
  busyBelow: number;
  /** Length of one observation window. */
  windowMs: number;
  /** Give up waiting after this long (the measurement then starts anyway; `quiet` says so). */
  maxMs: number;
}

export interface Settled {
  /** Time spent waiting, in ms. */
  waitedMs: number;
  /** Busy share of the last window (0-1), or null without /proc/stat. */
  busy: number | null;
  quiet: boolean;
}

const SETTLE_FULL: SettleOptions = { busyBelow: 0.2, windowMs: 1000, maxMs: 30_000 };
const SETTLE_QUICK: SettleOptions = { busyBelow: 0.3, windowMs: 500, maxMs: 5000 };

/** The settle options of a full or a quick run. */
export const settleOptions = (quick: boolean): SettleOptions => (quick ? SETTLE_QUICK : SETTLE_FULL);

/** Busy and total jiffies of all cores since boot (the first line of /proc/stat), or null. */
async function cpuTimes(): Promise<{ busy: number; total: number } | null> {
  let text: string;
  try {
    text = await readFile('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the quiet part.
  const total = fields.slice(0, 8).reduce((s, v) => s + v, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

/** Busy share of the cores between two readings (0 when no time passed). */
export function busyShare(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  const total = b.total - a.total;
  return total > 0 ? (b.busy - a.busy) / total : 0;
}

/** Waits until a window of `opts.windowMs` was quieter than `opts.busyBelow`, or `opts.maxMs` passed. */
export async function settle(opts: SettleOptions): Promise<Settled> {
  const started = Date.now();
  let before = await cpuTimes();
  if (!before) return { waitedMs: 0, busy: null, quiet: false };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, opts.windowMs));
    const after = await cpuTimes();
    if (!after) return { waitedMs: Date.now() - started, busy: null, quiet: false };
    const busy = busyShare(before, after);
    const waitedMs = Date.now() - started;
    if (busy < opts.busyBelow) return { waitedMs, busy, quiet: true };
    if (waitedMs >= opts.maxMs) return { waitedMs, busy, quiet: false };
    before = after;
  }
}
