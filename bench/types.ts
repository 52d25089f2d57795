/** The shapes shared by the workloads, the topology that serves them and the session that runs them. */
import type { LoadRun, RequestShape } from './load';

export type ServerName = 'ceiling' | 'api' | 'api-nolru';

export interface BenchSettings {
  quick: boolean;
  connections: number;
  durationS: number;
  warmupS: number;
  /** API_WORKERS of the measured API (1 by default; 0 = one process per core). */
  apiWorkers: number;
  /** How many times a workload with `rounds` is measured, in alternation with its reference (and the peer). */
  rounds: number;
}

export interface BenchData {
  tag: string;
  /** Links created through the API: in its LRU and in Redis. */
  links: Map<string, string>;
  codes: string[];
  /** Links only in PostgreSQL: each measured request asks for a different one. */
  coldCodes: string[];
  /** Cold links for the warm-up of the PostgreSQL workload. */
  coldWarmupCodes: string[];
}

export interface WorkloadContext {
  settings: BenchSettings;
  data: BenchData;
  urls: Record<ServerName, string>;
  /** Successes per second of the cache-hit run, for the half-load runs. */
  hitRps?: number;
}

export interface WorkloadOutcome {
  run: LoadRun;
  /** The concurrent parts of the mixed workload. */
  parts?: Record<string, LoadRun>;
  /** Requests per second the run was limited to, if any. */
  rate?: number;
}

export interface Workload {
  name: string;
  description: string;
  server: ServerName;
  expectStatus: number;
  /** A request whose answer is checked once (status and Location) before the load: catches a wrong status. */
  probe: (ctx: WorkloadContext) => RequestShape & { location?: string };
  /** Load of the same shape whose numbers are thrown away (JIT, pools, connections). */
  warmup?: (ctx: WorkloadContext) => Promise<unknown>;
  run: (ctx: WorkloadContext) => Promise<WorkloadOutcome>;
  /** The workload whose figures this one's ratios divide by (itself, or `ceiling` when not set). */
  reference?: string;
  /** Runs wrk (installed before the run when missing). */
  usesWrk?: boolean;
  /**
   * Measured `settings.rounds` times, each round its reference first, then this workload (then the peer's run),
   * and judged on the median round: on a noisy machine one pair can land anywhere in a wide band.
   */
  rounds?: boolean;
}
