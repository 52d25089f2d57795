/**
 * Click pipeline bench: the API's real producer (in this process, without HTTP) pushes clicks as fast as
 * it can into a bench-only topic; a real consumer process aggregates them and a real Temporal worker
 * flushes them. Reports sustained clicks/s (sent -> aggregated in Redis) and flush lag (a probe click's
 * aggregation by the consumer -> visible in urls.clicks; from its send too). Run alone: `npx tsx bench/pipeline.ts [seconds] [clicks/s, 0 = max] [consumer profile dir]`.
 */
import type Redis from 'ioredis';
import { removeSchedules } from '../activities/schedules';
import { createRedis } from '../infra/clients';
import { createLogger } from '../observability/logger';
import { createClickLedger } from '../queues/click-ledger';
import { createClickProducer } from '../queues/click-producer';
import type { ClickInput } from '../queues/click-sink';
import { toClick } from '../queues/click-event';
import { clickKeys, deploymentNames } from '../queues/names';
import { freePort, startProcess, type Child } from '../infra/child';
import { processDef } from '../infra/processes';
import { clicksDropped } from '../observability/click-metrics';
import { benchConfig, prepareBench } from './pipeline-setup';
import { waitForCount, watchProbes } from './pipeline-probes';

export interface PipelineBenchOptions {
  /** Seconds of sustained producing (default 20). */
  durationS?: number;
  quick?: boolean;
  /** Environment of the bench (own database, topic, group, prefix); defaults to bench-only names. */
  env?: Record<string, string>;
  flushIntervalSeconds?: number;
  /** Paced sending rate; 0 (default) sends as fast as the producer takes them. */
  clicksPerSecond?: number;
  /** Runs the consumer with --cpu-prof into this directory (summarise with bench/profile.ts). */
  consumerProfileDir?: string;
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
  /**
   * consumer alone: a backlog produced before it started, aggregated per second once it runs (null: it was
   * done before the first look, while booting); seconds_from_spawn includes the process start.
   */
  consumer_backlog: { clicks: number; per_s: number | null; seconds_from_spawn: number };
  flush_interval_s: number;
  /**
   * Queue-Redis memory per click aggregated during the sustained run: `info_delta` from INFO used_memory
   * (everything: dedup, pending counts, offsets), `dedup_keys` from MEMORY USAGE of the dedup keys alone.
   */
  redis_bytes_per_click: { info_delta: number; dedup_keys: number };
  /** probe clicks' aggregation by the consumer -> visible in urls.clicks, in ms: what the flush adds */
  flush_lag_ms: { samples: number; p50: number; p95: number; max: number };
  /** the same probes from their send: adds the bench producer's queue (up to highWater clicks) and Kafka */
  probe_send_to_visible_ms: { p50: number; p95: number; max: number };
  goal: { clicks_per_s: number; met: boolean; lag_under_two_intervals: boolean };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: readonly number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

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

/** Clicks this process's producers dropped at their memory bound, so far. */
async function droppedClicks(): Promise<number> {
  return (await clicksDropped.get()).values.reduce((s, v) => s + v.value, 0);
}

/** A dropped click is never aggregated: fail at once instead of waiting for it. */
async function noneDropped(before: number): Promise<void> {
  const dropped = (await droppedClicks()) - before;
  if (dropped > 0) throw new Error(`the producer dropped ${dropped} clicks at its memory bound`);
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

  const ledger = createClickLedger({ redis, pool, keys });
  const watch = watchProbes(() => ledger.read(probe));
  let probing = false;
  let prober: Promise<void> | undefined;
  try {
    const click = (code: string): ClickInput => ({ shortCode: code, at: Date.now(), referrer: '', userAgent: 'bench', ip: '127.0.0.1' });
    // The producer drops clicks once maxBuffered are in memory (the API must never block a redirect on it);
    // the bench sends faster than Kafka takes them, so it waits instead, or the count it waits for would
    // never arrive. Four pump rounds of full records keep the pump busy without a long queue in front of it.
    const highWater = Math.min(4 * config.CLICK_PRODUCER_BATCH_SIZE * config.KAFKA_TOPIC_PARTITIONS, config.CLICK_PRODUCER_MAX_BUFFERED / 2);
    const room = async () => {
      while (producer.buffered() > highWater) await sleep(1);
    };
    const droppedBefore = await droppedClicks();

    // The consumer's own rate: a backlog waits in the topic, then one consumer process works through it.
    const backlog = opts.quick ? 50_000 : 300_000;
    for (let i = 0; i < backlog; i += 2000) {
      for (let j = 0; j < 2000; j++) producer.send(click(codes[(i + j) % codes.length]));
      await room();
      await new Promise((r) => setImmediate(r));
    }
    await producer.flush();
    await noneDropped(droppedBefore);
    const spawnedAt = Date.now();
    const nodeFlags = opts.consumerProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.consumerProfileDir}`] : [];
    consumer = await startProcess(processDef('click-consumer'), { env: { ...env, METRICS_PORT: String(metricsPort) }, nodeFlags });
    // From the first count seen once the process is ready (it may have started on the backlog while booting).
    const first = { at: Date.now(), n: await counted() };
    await waitForCount(counted, backlog, 'backlog aggregated');
    const backlogS = (Date.now() - spawnedAt) / 1000;
    const backlogPerS = first.n < backlog ? Math.round((backlog - first.n) / ((Date.now() - first.at) / 1000)) : null;
    const countedBefore = await counted();
    worker = await startProcess(processDef('temporal-worker'), { env });
    // The worker's first flush carries the backlog and its own warm-up (bundling the workflows, the first
    // connections: over a second on a loaded machine). The lag is measured from the next one, once that
    // flush is in urls.clicks, so it reads the steady state the acceptance line is about.
    const flushedBacklog = async () =>
      Number((await pool.query<{ n: string }>('SELECT coalesce(sum(clicks), 0)::text AS n FROM urls WHERE short_code = ANY($1)', [codes])).rows[0].n);
    await waitForCount(flushedBacklog, backlog, 'backlog flushed to urls.clicks');
    const memoryBefore = await usedMemory(redis);
    const dedupBefore = await dedupBytes(redis, keys.seenRecords('*', 0).replace(/\*:0$/, '*'));

    // Probe clicks every 200 ms: their lag to urls.clicks is the flush lag under this load.
    probing = true;
    prober = (async () => {
      while (probing) {
        producer.send(click(probe));
        watch.sent();
        await sleep(200);
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
      await room();
      await new Promise((r) => setImmediate(r));
    }
    await producer.flush();
    const producedAt = Date.now();
    probing = false;
    await prober;
    await producer.flush();
    await noneDropped(droppedBefore);
    const expected = countedBefore + sent + watch.sentAt.length;
    await waitForCount(counted, expected, 'sustained run aggregated');
    const aggregatedAt = Date.now();
    const memoryAfter = await usedMemory(redis);
    const dedupAfter = await dedupBytes(redis, keys.seenRecords('*', 0).replace(/\*:0$/, '*'));
    // Every probe is aggregated by now: each is one flush (plus a skipped tick or a retry) from urls.clicks.
    const interval = opts.flushIntervalSeconds ?? 1;
    await watch.stop(Math.max(10_000, 10 * interval * 1000));
    const lags = watch.flushLags;
    if (lags.length < watch.sentAt.length) {
      throw new Error(`flush lag: ${watch.sentAt.length - lags.length} of ${watch.sentAt.length} probe clicks never reached urls.clicks`);
    }

    const aggregatedPerS = Math.round(sent / ((aggregatedAt - start) / 1000));
    const lagMax = Math.max(...lags);
    const producedPerS = Math.round(sent / ((producedAt - start) / 1000));
    const p95 = pct(lags, 0.95);
    return {
      clicks: sent,
      seconds_producing: (producedAt - start) / 1000,
      produced_per_s: producedPerS,
      aggregated_per_s: aggregatedPerS,
      drain_after_producing_ms: aggregatedAt - producedAt,
      consumer_backlog: { clicks: backlog, per_s: backlogPerS, seconds_from_spawn: Math.round(backlogS * 100) / 100 },
      flush_interval_s: interval,
      redis_bytes_per_click: {
        info_delta: Math.round(((memoryAfter - memoryBefore) / sent) * 100) / 100,
        dedup_keys: Math.round(((dedupAfter - dedupBefore) / sent) * 100) / 100,
      },
      flush_lag_ms: { samples: lags.length, p50: pct(lags, 0.5), p95, max: lagMax },
      probe_send_to_visible_ms: { p50: pct(watch.endToEnd, 0.5), p95: pct(watch.endToEnd, 0.95), max: Math.max(...watch.endToEnd) },
      // The acceptance line: both rates, and the lag at p95 (the max is reported, not judged).
      goal: { clicks_per_s: 100_000, met: Math.min(producedPerS, aggregatedPerS) >= 100_000, lag_under_two_intervals: p95 < 2 * interval * 1000 },
    };
  } finally {
    // Nothing may poll the pool or send once it closes, whichever way the run ended.
    probing = false;
    await prober;
    await watch.stop(0).catch(() => undefined);
    await producer.close();
    await Promise.all([consumer?.stop(), worker?.stop()]);
    await pool.query('DELETE FROM urls WHERE short_code LIKE $1', [`b${tag}%`]).catch(() => undefined);
    await pool.end();
    redis.disconnect();
    await removeSchedules(config);
  }
}

if (require.main === module) {
  const [seconds, rate, consumerProfileDir] = process.argv.slice(2);
  runPipelineBench({ durationS: Number(seconds ?? 20), clicksPerSecond: Number(rate ?? 0), consumerProfileDir }).then(
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
