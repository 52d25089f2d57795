/**
 * The process manifest: every linkhop process with its entry file, how it says it is ready and where its
 * metrics are. `npm start`, the test helpers and the bench all read this list, so a new process (or a
 * renamed entry) is one edit here. Entries are paths, not imports: this file stays at the bottom layer.
 */
import { LOCAL_PORTS } from './config';

export type ProcessName = 'api' | 'temporal-worker' | 'keygen-worker' | 'click-consumer';

export interface ProcessDef {
  readonly name: ProcessName;
  /** TypeScript entry file, run as `node --import tsx <entry>` (one process, so signals reach it). */
  readonly entry: string;
  /** The log line the process prints once it serves. */
  readonly readyLine: RegExp;
  /** An HTTP path on its port that answers 200 once it can serve (the API's `/ready`). */
  readonly readyPath?: string;
  /** The variable that sets the port its /metrics is served on (a port apart from any public one). */
  readonly metricsPortVar: 'METRICS_PORT';
  /** Node flags it always runs with (the Dockerfile and docker-compose.yml repeat them). */
  readonly nodeFlags?: readonly string[];
}

/**
 * The API allocates a few short-lived objects per request (the request and response, a create's promise
 * and row); V8's default 16 MB young generation then runs a scavenge several times a second under load,
 * each a pause of its own. 64 MB makes them a quarter as frequent; it raised creates per second by 6-14%
 * in paired runs (redirects were unchanged), for at most 48 MB more memory.
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

/** In start order; the supervisor stops the first (the API, so requests drain) before the others. */
export const PROCESSES: readonly ProcessDef[] = Object.freeze([
  { name: 'api', entry: 'api/server.ts', readyLine: /api listening/, readyPath: '/ready', metricsPortVar: 'METRICS_PORT', nodeFlags: API_NODE_FLAGS },
  { name: 'temporal-worker', entry: 'activities/worker.ts', readyLine: /temporal worker running/, metricsPortVar: 'METRICS_PORT' },
  { name: 'keygen-worker', entry: 'queues/keygen/worker.ts', readyLine: /keygen worker ready/, metricsPortVar: 'METRICS_PORT' },
  { name: 'click-consumer', entry: 'queues/click-consumer.ts', readyLine: /click consumer running/, metricsPortVar: 'METRICS_PORT' },
] as const);

/** The manifest entry of `name`. */
export function processDef(name: ProcessName): ProcessDef {
  const def = PROCESSES.find((p) => p.name === name);
  if (!def) throw new Error(`no process '${name}' in the manifest`);
  return def;
}

/**
 * Where each process serves /metrics in the local deployment (`npm start`): a fixed port per process, shifted
 * by LINKHOP_PORT_OFFSET like the rest of the stack, so Prometheus can scrape a known list of targets.
 */
export function metricsPorts(): Record<ProcessName, number> {
  return {
    api: LOCAL_PORTS.apiMetrics,
    'temporal-worker': LOCAL_PORTS.temporalWorkerMetrics,
    'keygen-worker': LOCAL_PORTS.keygenWorkerMetrics,
    'click-consumer': LOCAL_PORTS.clickConsumerMetrics,
  };
}

/** The environment that puts `def`'s metrics on `port`. */
export function metricsEnv(def: ProcessDef, port: number): Record<string, string> {
  return { [def.metricsPortVar]: String(port) };
}
