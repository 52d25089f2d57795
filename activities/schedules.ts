/** Creates or updates the Temporal Schedules at boot, so a changed interval takes effect on restart. */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { createTemporalClient } from '../infra/clients';
import type { Config } from '../infra/config';
import { WORKFLOW_FLUSH_CLICKS, WORKFLOW_WARM_CACHE, deploymentNames } from '../queues/names';

/** The schedules this deployment runs, derived from config. */
export function scheduleDefinitions(config: Config): ScheduleOptions[] {
  const common = {
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  } as const;
  // A flush that outlasts its interval (a busy PostgreSQL, a loaded Temporal) must not cost the clicks of
  // the next interval a whole extra interval of lag: the tick that fell during it starts right after it.
  // Runs never overlap, and at most one waits, so a long outage does not queue up a flush per tick.
  const flushPolicies = { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 minute' } as const;
  const { scheduleIds: ids, taskQueue } = deploymentNames(config);
  return [
    {
      scheduleId: ids.flushClicks,
      spec: { intervals: [{ every: `${config.INGESTION_FLUSH_INTERVAL_SECONDS}s` }] },
      action: {
        type: 'startWorkflow',
        workflowType: WORKFLOW_FLUSH_CLICKS,
        workflowId: ids.flushClicks,
        taskQueue,
        args: [],
        // A run stuck on a long outage is cut off; the next one resumes its snapshot.
        workflowExecutionTimeout: '10 minutes',
      },
      policies: flushPolicies,
    },
    {
      scheduleId: ids.warmCache,
      spec: { intervals: [{ every: `${config.CACHE_WARMER_INTERVAL_SECONDS}s` }] },
      action: {
        type: 'startWorkflow',
        workflowType: WORKFLOW_WARM_CACHE,
        workflowId: ids.warmCache,
        taskQueue,
        args: [{ topN: config.CACHE_WARMER_TOP_N }],
        workflowExecutionTimeout: '5 minutes',
      },
      ...common,
    },
  ];
}

/** Creates each schedule, or updates it in place when it already exists. */
export async function ensureSchedules(client: Client, config: Config): Promise<void> {
  for (const def of scheduleDefinitions(config)) {
    try {
      await client.schedule.create(def);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(def.scheduleId).update((prev) => ({
        ...prev,
        spec: def.spec,
        action: def.action,
        policies: { ...prev.policies, ...def.policies },
      }));
    }
  }
}

/** Deletes this deployment's schedules (an isolated test or bench deployment, when it is done). */
export async function removeSchedules(config: Config): Promise<void> {
  const { client, connection } = await createTemporalClient(config);
  try {
    await Promise.all(
      Object.values(deploymentNames(config).scheduleIds).map((id) => client.schedule.getHandle(id).delete().catch(() => undefined)),
    );
  } finally {
    await connection.close();
  }
}
