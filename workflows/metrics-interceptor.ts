/** Workflow interceptor: reports a failed workflow through a sink (workflows cannot touch metrics themselves). */
import {
  ContinueAsNew,
  proxySinks,
  type Sinks,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export interface MetricsSinks extends Sinks {
  metrics: { workflowFailed(): void };
}

const { metrics } = proxySinks<MetricsSinks>();

class FailureCounter implements WorkflowInboundCallsInterceptor {
  async execute(
    input: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[1],
  ): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      if (!(err instanceof ContinueAsNew)) metrics.workflowFailed();
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new FailureCounter()] });
