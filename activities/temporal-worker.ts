/**
 * The one factory of Temporal workers: production (worker.ts), the replay recorder and the tests all build
 * their worker here, so every one registers the same workflow code, interceptors and sinks.
 */
import { NativeConnection, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import type { Activities } from '.';
import { countActivityFailures, metricsSinks } from './interceptors';

const WORKFLOWS = require.resolve('../workflows');
const WORKFLOW_INTERCEPTORS = [require.resolve('../workflows/metrics-interceptor')];

export interface TemporalWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** createActivities(deps), or a test's stand-ins with the same names and signatures. */
  activities: Partial<Activities>;
  /** Another build of the workflows (a test fixture); the shipped workflows/ by default. */
  workflowsPath?: string;
}

/** A worker of the workflows and the given activities, with the production interceptors and sinks. */
export function createTemporalWorker(opts: TemporalWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowsPath: opts.workflowsPath ?? WORKFLOWS,
    activities: opts.activities,
    interceptors: { activity: [countActivityFailures], workflowModules: WORKFLOW_INTERCEPTORS },
    sinks: metricsSinks,
  });
}

/** Replay options with the same workflow code and interceptors as a running worker. */
export function replayWorkerOptions(workflowsPath = WORKFLOWS): ReplayWorkerOptions {
  return { workflowsPath, interceptors: { workflowModules: WORKFLOW_INTERCEPTORS } };
}
