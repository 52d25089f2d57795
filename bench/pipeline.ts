/**
 * Click pipeline bench: the API's real producer (in this process, without HTTP) pushes clicks as fast as
 * it can into a bench-only topic; a real consumer process aggregates them and a real Temporal worker
 * flushes them. Reports sustained clicks/s (sent -> aggregated in Redis) and flush lag (a probe click's
 * send -> visible in urls.clicks). Run alone: `npx tsx bench/pipeline.ts [seconds] [clicks/s, 0 = max]`.
 */
import type Redis from 'ioredis';
import { removeSchedules } from '../activities/schedules';
import { createRedis } from '../infra/clients';
import { createLogger } from '../observability/logger';
import { createClickProducer } from '../queues/click-producer';
import type { ClickInput } from '../queues/click-sink';
import { toClick } from '../queues/click-event';
import { clickKeys, deploymentNames } from '../queues/names';
import { freePort, startProcess, type Child } from '../infra/child';
import { processDef } from '../infra/processes';
import { waitUntil } from '../infra/wait';
import { benchConfig, prepareBench } from './pipeline-setup';

export interface PipelineBenchOptions {
  /** Seconds of sustained producing (default 20). */
  durationS?: number;
  quick?: boolean;
  /** Environment of the bench (own database, topic, group, prefix); defaults to bench-only names. */
  env?: Record<string, string>;
  flushIntervalSeconds?: number;
  /** Paced sending rate; 0 (default) sends as fast as the producer takes them. */
  clicksPerSecond?: number;
}

export interface PipelineBenchResult {
  clicks: number;
  seconds_producing: number;
  /** clicks acknowledged by Kafka per second while producing */
  produced_per_s: number;
  /** clicks aggregated in Redis per second, from the first send to the last aggregated click */
  aggregated_per_s: number;
  /** time from the last click sent until every click was aggregated */
  drain_after_producing_ms: number;
  /** consumer alone: a backlog produced before it started, aggregated per second once it runs */
  consumer_backlog: { clicks: number; per_s: number };
  flush_interval_s: number;
  /**
   * Queue-Redis memory per click aggregated during the sustained run: `info_delta` from INFO used_memory
   * (everything: dedup, pending counts, offsets), `dedup_keys` from MEMORY USAGE of the dedup keys alone.
   */
  redis_bytes_per_click: { info_delta: number; dedup_keys: number };
  /** probe clicks' send -> visible in urls.clicks, in ms */
  flush_lag_ms: { samples: number; p50: number; p95: number; max: number };
  goal: { clicks_per_s: number; met: boolean; lag_under_two_intervals: boolean };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
}

/** MEMORY USAGE summed over the keys matching `pattern`. */
async function dedupBytes(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let total = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of found) total += Number(await redis.memory('USAGE', key)) || 0;
  } while (cursor !== '0');
  return total;
}

/** Runs the bench; every process it starts is stopped before it returns. */
export async function runPipelineBench(opts: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
  const durationS = opts.durationS ?? (opts.quick ? 5 : 20);
  const { env, config } = benchConfig(opts.env ?? {}, opts.flushIntervalSeconds ?? 1);
  const log = createLogger('bench-pipeline', 'warn');
  const names = deploymentNames(config);
  const keys = clickKeys(names.clickKeyPrefix);

  const { kafka, pool, codes, probe, tag } = await prepareBench(config, log);

  const metricsPort = await freePort();
  let consumer: Child | undefined;
  let worker: Child | undefined;
  const redis = createRedis(config, 'queue', log);
  const hashKey = config.VISITOR_HASH_KEY ?? config.SHORT_CODE_KEY;
  const producer = createClickProducer<ClickInput>({
    kafka, redis, keys, topic: names.clickTopic, log,
    toClick: (c) => toClick(c, hashKey),
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    lingerMs: config.CLICK_PRODUCER_LINGER_MS,
    batchSize: config.CLICK_PRODUCER_BATCH_SIZE,
    maxBuffered: config.CLICK_PRODUCER_MAX_BUFFERED,
    fallbackMaxEntries: config.CLICK_FALLBACK_MAX_ENTRIES,
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const counted = async () => {
    const res = await fetch(metricsUrl, { headers: config.METRICS_TOKEN ? { authorization: `Bearer ${config.METRICS_TOKEN}` } : {} });
    const text = await res.text();
    return text.split('\n').filter((l) => l.startsWith('clicks_consumed_total{') && l.includes('outcome="counted"'))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
  };

  try {
    const click = (code: string): ClickInput => ({ shortCode: code, at: Date.now(), referrer: '', userAgent: 'bench', ip: '127.0.0.1' });

    // The consumer's own rate: a backlog waits in the topic, then one consumer process works through it.
    const backlog = opts.quick ? 50_000 : 300_000;
    for (let i = 0; i < backlog; i += 2000) {
      for (let j = 0; j < 2000; j++) producer.send(click(codes[(i + j) % codes.length]));
      await new Promise((r) => setImmediate(r));
    }
    await producer.flush();
    consumer = await startProcess(processDef('click-consumer'), { env: { ...env, METRICS_PORT: String(metricsPort) } });
    const consumerStart = Date.now();
    await waitUntil(async () => (await counted()) >= backlog, { timeoutMs: 600_000, intervalMs: 50, describe: async () => `backlog: ${await counted()} of ${backlog}` });
    const backlogPerS = Math.round(backlog / ((Date.now() - consumerStart) / 1000));
    const countedBefore = await counted();
    worker = await startProcess(processDef('temporal-worker'), { env });
    const memoryBefore = await usedMemory(redis);
    const dedupBefore = await dedupBytes(redis, keys.seenRecords('*', 0).replace(/\*:0$/, '*'));

    // Probe clicks every 200 ms: their lag to urls.clicks is the flush lag under this load.
    const probes: number[] = [];
    const lags: number[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        probes.push(Date.now());
        producer.send(click(probe));
        await sleep(200);
      }
    })();
    const watcher = (async () => {
      while (probing || lags.length < probes.length) {
        const { rows } = await pool.query('SELECT clicks FROM urls WHERE short_code = $1', [probe]);
        const n = Number(rows[0].clicks);
        while (lags.length < n) lags.push(Date.now() - probes[lags.length]);
        await sleep(25);
      }
    })();

    const start = Date.now();
    let sent = 0;
    const rate = opts.clicksPerSecond ?? 0;
    while (Date.now() - start < durationS * 1000) {
      if (rate > 0) {
        // Paced: catch up to rate * elapsed every 10 ms.
        const due = Math.floor((rate * (Date.now() - start)) / 1000);
        while (sent < due) producer.send(click(codes[sent++ % codes.length]));
        await sleep(10);
        continue;
      }
      // Bursts of 2,000 with a yield between them, so the producer's pump and socket get the event loop.
      for (let i = 0; i < 2000; i++) producer.send(click(codes[sent++ % codes.length]));
      await new Promise((r) => setImmediate(r));
    }
    await producer.flush();
    const producedAt = Date.now();
    const expected = countedBefore + sent + probes.length;
    await waitUntil(async () => (await counted()) >= expected, { timeoutMs: 600_000, intervalMs: 50, describe: async () => `aggregated ${await counted()} of ${sent}` });
    const aggregatedAt = Date.now();
    const memoryAfter = await usedMemory(redis);
    const dedupAfter = await dedupBytes(redis, keys.seenRecords('*', 0).replace(/\*:0$/, '*'));
    probing = false;
    await prober;
    await Promise.race([watcher, sleep(30_000)]);

    const interval = opts.flushIntervalSeconds ?? 1;
    const aggregatedPerS = Math.round(sent / ((aggregatedAt - start) / 1000));
    const lagMax = Math.max(...lags);
    return {
      clicks: sent,
      seconds_producing: (producedAt - start) / 1000,
      produced_per_s: Math.round(sent / ((producedAt - start) / 1000)),
      aggregated_per_s: aggregatedPerS,
      drain_after_producing_ms: aggregatedAt - producedAt,
      consumer_backlog: { clicks: backlog, per_s: backlogPerS },
      flush_interval_s: interval,
      redis_bytes_per_click: {
        info_delta: Math.round(((memoryAfter - memoryBefore) / sent) * 100) / 100,
        dedup_keys: Math.round(((dedupAfter - dedupBefore) / sent) * 100) / 100,
      },
      flush_lag_ms: { samples: lags.length, p50: pct(lags, 0.5), p95: pct(lags, 0.95), max: lagMax },
      goal: { clicks_per_s: 100_000, met: aggregatedPerS >= 100_000, lag_under_two_intervals: lagMax < 2 * interval * 1000 },
    };
  } finally {
    await producer.close();
    await Promise.all([consumer?.stop(), worker?.stop()]);
    await pool.query('DELETE FROM urls WHERE short_code LIKE $1', [`b${tag}%`]).catch(() => undefined);
    await pool.end();
    redis.disconnect();
    await removeSchedules(config);
  }
}

if (require.main === module) {
  runPipelineBench({ durationS: Number(process.argv[2] ?? 20), clicksPerSecond: Number(process.argv[3] ?? 0) }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error('pipeline bench failed:', err);
      process.exit(1);
    },
  );
}
