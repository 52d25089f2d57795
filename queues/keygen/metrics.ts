/** Keygen metrics on the shared registry: where blocks come from, how full pools are, how refills go. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../../observability/metrics';

export type BlockSource = 'queue' | 'direct';

export const blocksReserved = new Counter({
  name: 'keygen_blocks_reserved_total',
  help: 'ID blocks reserved, by how: through the BullMQ refill queue, or straight from PostgreSQL',
  labelNames: ['source'] as const,
  registers: [registry],
});

export const refillDuration = new Histogram({
  name: 'keygen_refill_duration_seconds',
  help: 'Time to obtain one ID block, by source',
  labelNames: ['source'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const refillFailures = new Counter({
  name: 'keygen_refill_failures_total',
  help: 'Failed attempts to obtain an ID block, by source',
  labelNames: ['source'] as const,
  registers: [registry],
});

// Pools report their level at scrape time, so handing out a code never touches a metric.
const pools = new Set<() => number>();

new Gauge({
  name: 'keygen_pool_ids',
  help: 'IDs left in the local pools of this process',
  registers: [registry],
  collect() {
    let sum = 0;
    for (const level of pools) sum += level();
    this.set(sum);
  },
});

/** Counts `level()` in the pool gauge until the returned function is called. */
export function trackPoolLevel(level: () => number): () => void {
  pools.add(level);
  return () => pools.delete(level);
}
