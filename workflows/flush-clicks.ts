/**
 * FlushClicksWorkflow: one flush of the aggregated clicks, started by the flush-clicks Schedule.
 * snapshot -> apply (one PostgreSQL transaction keyed by the batch id) -> drop snapshot, as local activities.
 * A failed run leaves its snapshot "current"; the next run picks it up again, so nothing is lost or doubled.
 * The flush leaves cached links alone: a cached link holds no count anyone reads, and it is evicted only
 * when the link itself changes.
 */
import { ActivityFailure, log, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Flushes started before this patch called invalidateLinks between apply and drop. Once no such flush can
 * still be running (flushes take seconds; wait a day after the deploy), replace patched() with
 * deprecatePatch(), then drop the old branch, the invalidateLinks activity and the pre-patch histories.
 */
export const PATCH_KEEP_CACHED_LINKS = 'flush-keeps-cached-links';

/**
 * Flushes started before this patch ran each step as a (remote) activity: a server round trip and a
 * workflow task per step, about half of a flush's time on a loaded machine and the reason a 1 s flush
 * often took longer than 1 s. The steps are short and idempotent (the ledger, not Temporal, makes a
 * retried step safe), so they now run as local activities in one workflow task. Same deprecation path as
 * PATCH_KEEP_CACHED_LINKS: deprecatePatch() a day after the deploy, then drop the remote branch.
 */
export const PATCH_LOCAL_STEPS = 'flush-steps-local-activities';

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['BadInput', 'SnapshotMissing', 'NotApplied', 'NotConfigured'],
};

const remote = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry });
// Every retry waits on a server timer (a backoff is at least 1 s, over this threshold), so a failing step
// shows in the run's history (a marker with the failure, then the timer) while it lasts, as a retried
// activity did; only the first attempt of each step runs without a server round trip.
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 minute', retry, localRetryThreshold: '500 milliseconds' });

// Old flushes only. A cache outage must not stall them: the cached copies expire on their own.
const { invalidateLinks } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 3 },
});

export interface FlushClicksResult {
  batchId: string | null;
  applied: boolean;
  links: number;
  clicks: number;
}

export async function flushClicksWorkflow(): Promise<FlushClicksResult> {
  const { snapshotClicks, applyClickBatch, dropClickSnapshot } = patched(PATCH_LOCAL_STEPS) ? local : remote;
  const snapshot = await snapshotClicks();
  if (!snapshot) return { batchId: null, applied: false, links: 0, clicks: 0 };
  const { batchId } = snapshot;
  const applied = await applyClickBatch(batchId);
  if (!patched(PATCH_KEEP_CACHED_LINKS)) {
    try {
      await invalidateLinks(batchId);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('cache invalidation failed; cached copies expire on their own', { batchId, error: err.message });
    }
  }
  await dropClickSnapshot(batchId);
  return { batchId, ...applied };
}
