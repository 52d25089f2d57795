/** WarmCacheWorkflow: one run of the cache warmer, started by the warm-cache Schedule. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { warmCache } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export interface WarmCacheInput {
  topN: number;
}

export async function warmCacheWorkflow(input: WarmCacheInput): Promise<{ warmed: number }> {
  return warmCache(input.topN);
}
