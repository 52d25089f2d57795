/** The processes of an isolated pipeline (API servers, click consumer, Temporal worker) as real children. */
import { rolledUpClicksByCode } from '../../db/clickhouse/analytics';
import { countClicksByCode } from '../../db/clickhouse/clicks';
import { createClickHouse } from '../../infra/clients';
import type { PipelineEnv } from './pipeline-env';
import { waitUntil } from '../../infra/wait';
import { ServiceProcess, freePort } from './processes';

export interface PipelineProcs {
  apis: ServiceProcess[];
  apiUrls: string[];
  /** Each API's /metrics, on its own METRICS_PORT. */
  apiMetricsUrls: string[];
  consumer: ServiceProcess;
  worker: ServiceProcess;
  consumerMetricsUrl: string;
  workerMetricsUrl: string;
  /** Base URLs of the APIs currently running. */
  liveApiUrls(): string[];
  stop(): Promise<void>;
}

/** Starts `apis` API servers, one consumer and one worker on `env`; resolves once all are ready. */
export async function startPipeline(env: PipelineEnv, opts: { apis?: number } = {}): Promise<PipelineProcs> {
  const ports = await Promise.all(Array.from({ length: opts.apis ?? 1 }, freePort));
  const [metricsPort, workerMetricsPort] = await Promise.all([freePort(), freePort()]);
  const apiMetricsPorts = await Promise.all(ports.map(() => freePort()));
  const apis = ports.map(
    (port, i) =>
      new ServiceProcess(`api-${i}`, 'api', {
        ...env.env,
        PORT: String(port),
        BASE_URL: `http://127.0.0.1:${port}`,
        METRICS_PORT: String(apiMetricsPorts[i]),
      }),
  );
  const consumer = new ServiceProcess('consumer', 'click-consumer', { ...env.env, METRICS_PORT: String(metricsPort) });
  const worker = new ServiceProcess('worker', 'temporal-worker', { ...env.env, METRICS_PORT: String(workerMetricsPort) });
  const all = [...apis, consumer, worker];
  try {
    // One at a time: three cold TypeScript starts at once take longer on two cores than in a row.
    for (const p of all) await p.start();
  } catch (err) {
    await Promise.all(all.map((p) => p.kill('SIGKILL')));
    throw err;
  }
  const apiUrls = ports.map((p) => `http://127.0.0.1:${p}`);
  return {
    apis,
    apiUrls,
    apiMetricsUrls: apiMetricsPorts.map((p) => `http://127.0.0.1:${p}/metrics`),
    consumer,
    worker,
    consumerMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
    liveApiUrls: () => apiUrls.filter((_, i) => apis[i].running),
    stop: async () => {
      await Promise.all(all.map((p) => p.kill('SIGTERM')));
    },
  };
}

/** Waits until urls.clicks and ClickHouse's distinct clicks equal `expected` for every code. */
export async function waitForCounts(env: PipelineEnv, expected: Map<string, number>, timeoutMs: number): Promise<void> {
  const codes = [...expected.keys()];
  const ch = createClickHouse(env.config);
  let pg = new Map<string, number>();
  let analytics = new Map<string, number>();
  let rolledUp = new Map<string, number>();
  const diff = (got: Map<string, number>) =>
    codes.filter((c) => (got.get(c) ?? 0) !== expected.get(c)).map((c) => `${c}: ${got.get(c) ?? 0} != ${expected.get(c)}`);
  try {
    await waitUntil(
      async () => {
        pg = await env.clicksByCode(codes);
        if (diff(pg).length) return false;
        analytics = await countClicksByCode(ch, codes);
        if (diff(analytics).length) return false;
        // A click inserted twice is still one distinct click id, but the rollups count it twice.
        rolledUp = await rolledUpClicksByCode(ch, codes);
        return diff(rolledUp).length === 0;
      },
      {
        timeoutMs,
        intervalMs: 500,
        describe: () => `postgres off by [${diff(pg).slice(0, 5).join(', ')}] (${diff(pg).length} codes); ` +
          `clickhouse off by [${diff(analytics).slice(0, 5).join(', ')}] (${diff(analytics).length} codes); ` +
          `rollups off by [${diff(rolledUp).slice(0, 5).join(', ')}] (${diff(rolledUp).length} codes)`,
      },
    );
  } finally {
    await ch.close();
  }
}

/** One metric's value (summed over labels matching `labels`) from a Prometheus text page. */
export async function readMetric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{') && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}
