/** Worker interceptors and sinks that count failed activity attempts and failed workflows on the registry. */
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { activityFailures, workflowFailures } from '../observability/click-metrics';
import type { MetricsSinks } from '../workflows/metrics-interceptor';

/** Counts every failed attempt by activity name; the error goes on to Temporal unchanged (retries, history). */
export const countActivityFailures: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        activityFailures.inc({ activity: ctx.info.activityType });
        throw err;
      }
    },
  },
});

/** The sink the workflow interceptor calls (never during replay, so a failure is counted once). */
export const metricsSinks: InjectedSinks<MetricsSinks> = {
  metrics: {
    workflowFailed: {
      fn: (info) => workflowFailures.inc({ workflow: info.workflowType }),
      callDuringReplay: false,
    },
  },
};
