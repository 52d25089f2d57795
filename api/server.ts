/** The API process: config, clients, app, listen; SIGTERM drains in-flight requests before closing clients. */
import http from 'node:http';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../infra/config';
import { Shutdown } from '../infra/shutdown';
import { createLogger } from '../observability/logger';
import { createApp } from './app';
import { createApiRuntime } from './wiring';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('api', config.LOG_LEVEL);
  await runMigrations(config);
  const runtime = createApiRuntime(config, log);
  const app = createApp(runtime.deps);
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;

  const shutdown = new Shutdown(log);
  shutdown.add('servers', 'http', async () => {
    runtime.stopAccepting();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // Keep-alive clients that never go idle would hold the drain until the force timer; cut them late.
      setTimeout(() => server.closeAllConnections(), 10_000).unref();
    });
  });
  // After the drain no redirect can record a click, so this flush sends the last ones.
  shutdown.add('queues', 'click-sink', () => runtime.deps.clicks.flush());
  shutdown.add('connections', 'clients', () => runtime.close());
  shutdown.installSignalHandlers();

  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  log.info({ url: config.BASE_URL }, 'api listening');
}

main().catch((err: unknown) => {
  console.error('api failed to start:', err);
  process.exit(1);
});
