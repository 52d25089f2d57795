/**
 * The API process: config, clients, app, listen; SIGTERM drains in-flight requests before closing clients.
 * With API_WORKERS > 1 this process is the cluster primary and the API runs in the workers it forks
 * (api/cluster.ts).
 */
import cluster from 'node:cluster';
import { runClickhouseMigrations } from '../db/clickhouse/schema';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../infra/config';
import { Shutdown } from '../infra/shutdown';
import { exitOnStartupFailure, listen, unreachable } from '../infra/startup';
import { createLogger, readyLogger } from '../observability/logger';
import { serveMetrics } from '../observability/metrics-server';
import { createRequestHandler } from './app';
import { apiWorkerCount, isApiWorker, joinApiCluster, runApiPrimary } from './cluster';
import { createHttpServer } from './http-server';
import { createApiRuntime } from './wiring';

async function main(): Promise<void> {
  const config = loadConfig();
  const worker = isApiWorker();
  const log = createLogger('api', config.LOG_LEVEL);
  if (!worker) {
    await runMigrations(config).catch((err: unknown) => {
      throw unreachable('DATABASE_URL', 'PostgreSQL', config.DATABASE_URL, err);
    });
    // ClickHouse serves only the analytics routes: redirects must not wait for it, so its schema is brought
    // up to date in the background (analytics answer 503 until then).
    void migrateClickhouse(config, log);
    if (apiWorkerCount(config) > 1) return runApiPrimary(config, log);
  }
  const shutdown = new Shutdown(log);
  // The handler reads rt only when the primary asks, which is after rt exists (the next line, same turn).
  const hooks = worker
    ? joinApiCluster(
        log,
        (timeoutMs) => rt.flushedOffsets(timeoutMs),
        () => void shutdown.run('primary lost').then(() => process.exit(0)),
      )
    : undefined;
  const rt = createApiRuntime(config, log, hooks);
  const { deps } = rt;
  const server = createHttpServer(config, createRequestHandler(deps));

  shutdown.add('servers', 'http', async () => {
    rt.stopAccepting();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // Keep-alive clients that never go idle would hold the drain until the force timer; cut them late.
      setTimeout(() => server.closeAllConnections(), 10_000).unref();
    });
  });
  // After the drain no redirect can record a click, so this flush sends the last ones.
  shutdown.add('queues', 'click-sink', () => deps.clicks.flush());
  shutdown.add('connections', 'clients', () => rt.close());
  shutdown.installSignalHandlers();

  if (worker) {
    // The primary serves METRICS_PORT (every worker's metrics) and says when all of them listen.
    await listen(server, config.PORT, config.HOST, 'PORT');
    log.info('api worker ready');
    if (cluster.worker?.id !== 1) return;
  } else {
    // Metrics first, so a busy public port still leaves a scrapeable process (and both are reported).
    const closeMetrics = await serveMetrics(config);
    shutdown.add('servers', 'metrics', closeMetrics);
    await listen(server, config.PORT, config.HOST, 'PORT');
    readyLogger(log).info({ url: config.BASE_URL, metricsPort: config.METRICS_PORT || undefined }, 'api listening');
  }
  // Say loudly when anyone may create, edit and delete links: an operator should never run open by accident.
  const mode = await deps.auth.mode();
  // Open is the expected state of a fresh local install (npm start prints it too); in production it is a warning.
  const openMessage = 'open mode: no API key is defined and API_KEYS is unset, so every route is open; create a key with `npm run keys -- create --name NAME --role admin`';
  if (mode === 'open') log[config.NODE_ENV === 'production' ? 'warn' : 'info'](openMessage);
  else log.info({ mode }, 'API keys required');
}

async function migrateClickhouse(config: ReturnType<typeof loadConfig>, log: ReturnType<typeof createLogger>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await runClickhouseMigrations(config);
      if (applied > 0) log.info({ applied }, 'clickhouse migrations applied');
      return;
    } catch (err) {
      log.warn({ err: (err as Error).message, attempt }, 'clickhouse migrations failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, 30_000)).unref());
    }
  }
}

main().catch(exitOnStartupFailure('api'));
