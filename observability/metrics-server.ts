/** A tiny /metrics endpoint for worker processes (the API serves metrics on its own port). */
import http from 'node:http';
import { registry } from './metrics';

/** Serves the registry on `port` (0 = disabled); resolves to a closer. */
export async function serveMetrics(port: number, host = '0.0.0.0', token?: string): Promise<() => Promise<void>> {
  if (!port) return async () => undefined;
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
