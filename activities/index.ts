/** createActivities(deps): every side effect the workflows call, closed over injected clients. */
import { ApplicationFailure } from '@temporalio/common';
import { createFlushActivities, type ClickFlushDeps } from './flush-clicks';
import { createWarmCacheActivities, type WarmCacheDeps } from './warm-cache';

export type ActivityDeps = WarmCacheDeps & {
  /** Clients of the click flush; a worker built without them fails those activities (not retried). */
  clicks?: ClickFlushDeps;
};

const notConfigured = () => {
  throw ApplicationFailure.nonRetryable('click flush activities are not configured on this worker', 'NotConfigured');
};

/** Every activity of the worker, closed over `deps`. */
export function createActivities(deps: ActivityDeps) {
  const flush = deps.clicks
    ? createFlushActivities(deps.clicks)
    : {
        snapshotClicks: notConfigured,
        applyClickBatch: notConfigured,
        invalidateLinks: notConfigured,
        dropClickSnapshot: notConfigured,
      };
  return {
    ...createWarmCacheActivities(deps),
    ...(flush as ReturnType<typeof createFlushActivities>),
  };
}

export type Activities = ReturnType<typeof createActivities>;
