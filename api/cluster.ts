/**
 * API_WORKERS > 1: one primary process and N API processes sharing PORT through node:cluster (the primary
 * accepts connections and hands them out in turn). One Node process answers redirects on one core; the
 * primary runs none of the API, only this:
 * - it migrates PostgreSQL once, then forks the workers, and forks a new one when a worker dies;
 * - it serves METRICS_PORT with every worker's metrics added up (prom-client's AggregatorRegistry);
 * - read-your-own-clicks across processes: a stats read on one worker asks the primary, which has every
 *   worker flush its clicks and report their offsets, so the read waits for clicks that any process answered;
 * - SIGTERM/SIGINT: every worker drains and flushes its clicks (its own shutdown), then the primary exits.
 * Losing the primary (kill -9) closes the workers' IPC channel: each then shuts down as on SIGTERM.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { askPrimary, askWorkers, handleClusterRequests } from '../infra/cluster-ipc';
import type { Config } from '../infra/config';
import { Shutdown } from '../infra/shutdown';
import { readyLogger, type Logger } from '../observability/logger';
import { clusterMetricsSource, shareMetricsWithPrimary } from '../observability/metrics';
import { serveMetrics } from '../observability/metrics-server';
import type { ClickOffsets } from '../queues/click-sink';
import type { ApiClusterHooks } from './wiring';

const SETTLE_TARGETS = 'api:settle-targets';
const FLUSHED_OFFSETS = 'api:flushed-offsets';
const METRICS = 'api:metrics';
/** A worker's own shutdown is bounded by its 15 s force timer; the primary waits a little longer. */
const WORKER_EXIT_WAIT_MS = 20_000;
const RESTART_DELAY_MS = 1000;

/** The settle requests' one field (a worker's wait bound, in milliseconds). */
const timeoutOf = (payload: unknown): number => (payload as { timeoutMs: number }).timeoutMs;

/** The number of API processes API_WORKERS asks for (0 = one per core). */
export function apiWorkerCount(config: Pick<Config, 'API_WORKERS'>): number {
  return config.API_WORKERS === 0 ? os.availableParallelism() : config.API_WORKERS;
}

/**
 * The argument the primary gives the processes it forks. A node:cluster worker that lacks it was forked by
 * something else (a process manager's own cluster mode): that process is a whole API on its own.
 */
const WORKER_ARG = '--linkhop-api-worker';

/** True in a process this API's primary forked (then the primary migrates, serves metrics and owns the signals). */
export const isApiWorker = (): boolean => cluster.isWorker && process.argv.includes(WORKER_ARG);

/** The merge of every worker's offsets: per partition, the highest offset any worker's clicks reached. */
export function mergeOffsets(all: readonly ClickOffsets[]): ClickOffsets {
  const max = new Map<number, bigint>();
  for (const offsets of all) {
    for (const [p, o] of offsets) {
      const v = BigInt(o);
      if (v > (max.get(p) ?? -1n)) max.set(p, v);
    }
  }
  return [...max].map(([p, o]) => [p, o.toString()]);
}

/** Runs the primary: forks the workers, serves their metrics, restarts the dead, and stops them on a signal. */
export async function runApiPrimary(config: Config, log: Logger): Promise<void> {
  const count = apiWorkerCount(config);
  let stopping = false;
  let listening = 0;
  cluster.setupPrimary({ args: [...process.argv.slice(2), WORKER_ARG] });
  const started = new Set<number>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once('listening', () => {
      started.add(worker.id);
      if (++listening === count) readyLogger(log).info({ url: config.BASE_URL, workers: count, metricsPort: config.METRICS_PORT || undefined }, 'api listening');
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'api worker died; starting another');
    // A worker that died before it ever listened is a start-up failure (bad config, a port taken): the
    // whole API fails like a single process would, instead of forking the same failure forever.
    if (!started.has(worker.id)) {
      log.fatal('api worker failed to start');
      process.exit(1);
    }
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_DELAY_MS).unref();
  });

  handleClusterRequests(SETTLE_TARGETS, async (payload) => {
    const timeoutMs = timeoutOf(payload);
    const answers = await askWorkers(FLUSHED_OFFSETS, { timeoutMs }, timeoutMs + 250);
    // A worker that could not answer in time (dying, or its flush stuck) is left out: the read waits for
    // what the others answered, as a single process waits at most timeoutMs for its own clicks.
    return mergeOffsets(answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value as ClickOffsets] : [])));
  });
  const metricsText = clusterMetricsSource();
  handleClusterRequests(METRICS, () => metricsText());

  const shutdown = new Shutdown(log, WORKER_EXIT_WAIT_MS + 5000);
  shutdown.add('servers', 'api workers', async () => {
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            const cut = setTimeout(() => w.process.kill('SIGKILL'), WORKER_EXIT_WAIT_MS);
            w.once('exit', () => {
              clearTimeout(cut);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  });
  shutdown.installSignalHandlers();

  const closeMetrics = await serveMetrics(config, metricsText);
  shutdown.add('servers', 'metrics', closeMetrics);
  for (let i = 0; i < count; i++) fork();
}

/** In a worker: the IPC side of read-your-own-clicks and of metrics; returns what the worker's runtime uses. */
export function joinApiCluster(log: Logger, flushedOffsets: (timeoutMs: number) => Promise<ClickOffsets>, onPrimaryLost: () => void): ApiClusterHooks {
  shareMetricsWithPrimary();
  handleClusterRequests(FLUSHED_OFFSETS, (payload) => flushedOffsets(timeoutOf(payload)));
  process.once('disconnect', () => {
    log.error('api primary is gone; shutting down');
    onPrimaryLost();
  });
  return {
    settleTargets: async (timeoutMs: number) => (await askPrimary(SETTLE_TARGETS, { timeoutMs }, timeoutMs + 500)) as ClickOffsets,
    metricsText: async () => (await askPrimary(METRICS, null, 10_000)) as string,
  };
}
