/**
 * FlushClicksWorkflow: one flush of the aggregated clicks, started by the flush-clicks Schedule.
 * snapshot -> apply (one PostgreSQL transaction keyed by the batch id) -> invalidate caches -> drop snapshot.
 * A failed run leaves its snapshot "current"; the next run picks it up again, so nothing is lost or doubled.
 */
import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['BadInput', 'SnapshotMissing', 'NotApplied', 'NotConfigured'],
};

const { snapshotClicks, applyClickBatch, dropClickSnapshot } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry,
});

// The cache only holds a stale clicks field; its TTL repairs it, so a cache outage must not stall flushes.
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
  const snapshot = await snapshotClicks();
  if (!snapshot) return { batchId: null, applied: false, links: 0, clicks: 0 };
  const { batchId } = snapshot;
  const applied = await applyClickBatch(batchId);
  try {
    await invalidateLinks(batchId);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('cache invalidation failed; cached copies expire on their own', { batchId, error: err.message });
  }
  await dropClickSnapshot(batchId);
  return { batchId, ...applied };
}
