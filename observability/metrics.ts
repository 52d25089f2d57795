/** The process's prom-client registry and the HTTP metrics every process shares. */
import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** The metrics text a /metrics endpoint serves. */
export type MetricsSource = () => Promise<string>;

/** This process's own metrics. */
export const localMetrics: MetricsSource = () => registry.metrics();

/**
 * In a cluster primary: every worker's metrics, added up by prom-client's AggregatorRegistry (counters and
 * histograms summed; each default metric with the aggregation prom-client gives it).
 */
export function clusterMetricsSource(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return () => aggregator.clusterMetrics();
}

/** In a cluster worker: answers the primary's metrics requests with this process's registry. */
export function shareMetricsWithPrimary(): void {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client installs the worker's listener when an AggregatorRegistry is built.
  new AggregatorRegistry();
}

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route',
  labelNames: ['method', 'route'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/**
 * Records the answers of one method and route for a handler that runs before Koa (the redirect, the create
 * fast path): the request counter by status and the duration since `start`, which it returns in seconds.
 * The label children are bound once (a status on its first answer), which spares building the label object
 * per request; prom-client still validates and hashes the labels on every inc and observe (about 5% of the
 * API's time on a cache hit), which only counting locally and handing it the totals at scrape time would avoid.
 */
export function requestRecorder(method: string, route: string): (status: number, start: bigint) => number {
  const counts = new Map<number, ReturnType<typeof httpRequests.labels>>();
  const duration = httpDuration.labels(method, route);
  return (status, start) => {
    let count = counts.get(status);
    if (!count) counts.set(status, (count = httpRequests.labels(method, route, String(status))));
    count.inc();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    duration.observe(seconds);
    return seconds;
  };
}
