/**
 * /metrics on a port of its own (METRICS_PORT), for every process: Prometheus scrapes it on a private
 * network, while the API's public port keeps it closed unless METRICS_TOKEN is set.
 */
import http from 'node:http';
import type { Config } from '../infra/config';
import { listen } from '../infra/startup';
import { localMetrics, registry, type MetricsSource } from './metrics';

/** Serves `source` (this process's registry by default) on METRICS_PORT (0 = not at all); resolves to a closer. */
export async function serveMetrics(config: Pick<Config, 'METRICS_PORT' | 'METRICS_HOST'>, source: MetricsSource = localMetrics): Promise<() => Promise<void>> {
  const port = config.METRICS_PORT;
  if (!port) return async () => undefined;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    source().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType, 'X-Content-Type-Options': 'nosniff' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500).end(),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await listen(server, port, config.METRICS_HOST, 'METRICS_PORT');
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}
