/**
 * The Redis ClickSink (until the Kafka pipeline replaces it): clicks are counted per code in memory and
 * applied as `INCRBY <prefix>:<code>` in one Lua call per batch (every few ms or N clicks), not per click.
 *
 * Exactly-once: each batch carries an id that the script records with SET NX, so resending a batch whose
 * reply was lost (timeout, dropped connection) applies nothing twice. Only one batch is on the wire at a
 * time; while Redis is down the failed batch is kept and new clicks accumulate (bounded) behind it.
 *
 * pending(code) relies on one connection answering in order: counts not yet written when its GET is
 * written are added to the GET's answer, while the batch on the wire is not (Redis runs it before the GET,
 * so the answer already holds it). Nothing is double counted and, in one process, nothing is missed.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { Counter } from 'prom-client';
import type { ClickInput, ClickSink } from '../api/deps';
import type { Config } from '../infra/config';
import type { Logger } from '../observability/logger';
import { registry } from '../observability/metrics';

const APPLY_BATCH = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 2, #KEYS do redis.call('INCRBY', KEYS[i], ARGV[i]) end
return 1`;
const APPLIED_MARKER_TTL_SECONDS = 3600;

const clicksCounter = new Counter({
  name: 'click_buffer_clicks_total',
  help: 'Clicks handed to the Redis click buffer, by outcome',
  labelNames: ['result'] as const,
  registers: [registry],
});
const batchesCounter = new Counter({
  name: 'click_buffer_batches_total',
  help: 'Click batches sent to Redis, by outcome',
  labelNames: ['result'] as const,
  registers: [registry],
});
const buffered = clicksCounter.labels('buffered');
const dropped = clicksCounter.labels('dropped');

export interface ClickBufferOptions {
  redis: Redis;
  config: Config;
  log: Logger;
  /** How long clicks wait to be batched (ms). */
  flushIntervalMs?: number;
  /** A batch is sent at once when this many clicks are waiting. */
  maxBatchClicks?: number;
  /** Distinct codes kept in memory while Redis is unreachable; clicks of further codes are dropped. */
  maxPendingCodes?: number;
  /** Codes per Lua call. */
  maxCodesPerBatch?: number;
}

interface Batch {
  id: string;
  counts: Map<string, number>;
}

/** Builds the Redis-backed click sink. */
export function createClickBuffer(opts: ClickBufferOptions): ClickSink {
  const { redis, log } = opts;
  const prefix = opts.config.CLICK_BUFFER_KEY_PREFIX;
  const interval = opts.flushIntervalMs ?? 10;
  const maxBatchClicks = opts.maxBatchClicks ?? 1000;
  const maxPendingCodes = opts.maxPendingCodes ?? 100_000;
  const maxCodesPerBatch = opts.maxCodesPerBatch ?? 1000;
  const processId = randomUUID();
  const key = (code: string) => `${prefix}:${code}`;

  let unsent = new Map<string, number>();
  let unsentClicks = 0;
  let current: Batch | undefined;
  let onWire = false;
  let seq = 0;
  let active: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let retryDelay = 0;
  let lastWarn = 0;

  const warn = (msg: string, extra: object) => {
    if (Date.now() - lastWarn < 5000) return;
    lastWarn = Date.now();
    log.warn(extra, msg);
  };

  const takeBatch = (): Batch => {
    if (unsent.size <= maxCodesPerBatch) {
      const counts = unsent;
      unsent = new Map();
      unsentClicks = 0;
      return { id: `${processId}:${seq++}`, counts };
    }
    const counts = new Map<string, number>();
    for (const [code, n] of unsent) {
      if (counts.size >= maxCodesPerBatch) break;
      counts.set(code, n);
      unsent.delete(code);
      unsentClicks -= n;
    }
    return { id: `${processId}:${seq++}`, counts };
  };

  const sendOnce = async (): Promise<boolean> => {
    if (!current) {
      if (unsent.size === 0) return true;
      current = takeBatch();
    }
    const batch = current;
    const keys = [`click_batch_applied:${batch.id}`, ...Array.from(batch.counts.keys(), key)];
    const args = [String(APPLIED_MARKER_TTL_SECONDS), ...Array.from(batch.counts.values(), String)];
    onWire = true;
    try {
      await redis.eval(APPLY_BATCH, keys.length, ...keys, ...args);
      current = undefined;
      batchesCounter.inc({ result: 'ok' });
      return true;
    } catch (err) {
      batchesCounter.inc({ result: 'error' });
      warn('click buffer: batch not applied; keeping it in memory', { err: (err as Error).message, codes: batch.counts.size });
      return false;
    } finally {
      onWire = false;
    }
  };

  const sendSerial = (): Promise<boolean> => {
    active ??= sendOnce().finally(() => {
      active = undefined;
    });
    return active;
  };

  const schedule = (delay: number) => {
    if (timer || active) return;
    timer = setTimeout(run, delay);
    timer.unref();
  };

  function run(): void {
    timer = undefined;
    void sendSerial().then((ok) => {
      if (!ok) {
        retryDelay = Math.min(Math.max(retryDelay * 2, 50), 2000);
        schedule(retryDelay);
        return;
      }
      retryDelay = 0;
      if (current || unsent.size) schedule(unsentClicks >= maxBatchClicks ? 0 : interval);
    });
  }

  const localCount = (code: string): number =>
    (unsent.get(code) ?? 0) + (current && !onWire ? (current.counts.get(code) ?? 0) : 0);

  return {
    record(click: ClickInput) {
      const code = click.shortCode;
      const before = unsent.get(code);
      if (before === undefined && unsent.size >= maxPendingCodes) {
        dropped.inc();
        warn('click buffer full; dropping clicks', { codes: unsent.size });
        return;
      }
      unsent.set(code, (before ?? 0) + 1);
      unsentClicks++;
      buffered.inc();
      if (retryDelay > 0) return;
      if (unsentClicks >= maxBatchClicks && timer && !active) {
        clearTimeout(timer);
        timer = undefined;
      }
      schedule(unsentClicks >= maxBatchClicks ? 0 : interval);
    },

    async pending(code) {
      // Read before the GET is written: see the file comment for why the batch on the wire is excluded.
      const local = localCount(code);
      try {
        const value = await redis.get(key(code));
        return local + (value === null ? 0 : Number(value));
      } catch (err) {
        warn('click buffer: pending read failed', { err: (err as Error).message });
        return local + (current && onWire ? (current.counts.get(code) ?? 0) : 0);
      }
    },

    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      let failures = 0;
      while (active || current || unsent.size) {
        if (active) {
          await active;
          continue;
        }
        if (await sendSerial()) continue;
        if (++failures >= 3) {
          const left = unsentClicks + [...(current?.counts.values() ?? [])].reduce((a, b) => a + b, 0);
          schedule(500);
          throw new Error(`click buffer flush failed; ${left} clicks still in memory`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * failures));
      }
    },
  };
}
