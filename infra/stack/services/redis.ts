/**
 * Two Redis 7 servers: a cache that may evict, and a queue store that must never evict and keeps an AOF
 * so BullMQ jobs survive a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_PORTS } from '../../config';
import { needs } from '../install';
import { serviceDir } from '../paths';
import { HOST, redisCommand } from '../probes';
import { isAlive, livePid, rotateLog, spawnDetached, terminate, waitFor } from '../process';
import type { Service, ServiceName } from './types';

function redis(name: ServiceName, port: number, extra: string[], shutdown: string[]): Service {
  const dir = serviceDir(name);
  const pidFile = path.join(dir, 'service.pid');
  const log = path.join(dir, 'redis.log');
  // Redis retitles itself "redis-server 127.0.0.1:PORT" moments after exec; the bare port matches both forms.
  const needles = ['redis-server', String(port)];
  const self: Service = {
    name,
    endpoint: `redis://${HOST}:${port}/0`,
    logFile: log,
    ports: [port],
    readyTimeoutMs: 60_000,
    missingPackages: () => needs('redis-server', 'redis-server'),
    pendingInstall: () => undefined,
    install: async () => undefined,
    pid() {
      return livePid(pidFile, needles);
    },
    async probe() {
      return (await redisCommand(port, ['PING'])) === '+PONG';
    },
    async start() {
      fs.mkdirSync(dir, { recursive: true });
      rotateLog(log);
      // Not daemonized: the pid we spawn is the server, so a failed start (busy port) is seen at once.
      await spawnDetached('redis-server', [
        '--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no',
        '--pidfile', path.join(dir, 'redis.pid'), '--logfile', log, '--save', '', ...extra,
      ], { logFile: log, pidFile, cwd: dir });
    },
    afterReady: async () => undefined,
    async stop() {
      const pid = self.pid();
      if (pid === undefined) return;
      await redisCommand(port, shutdown, 5000);
      const gone = () => Promise.resolve(!isAlive(pid, needles));
      await waitFor(`${name} shutdown`, gone, { timeoutMs: 10_000, intervalMs: 100 }).catch(() =>
        terminate(pid, needles, 5000),
      );
    },
  };
  return self;
}

export const redisCache = redis(
  'redis-cache',
  LOCAL_PORTS.redisCache,
  ['--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru'],
  ['SHUTDOWN', 'NOSAVE'],
);

export const redisQueue = redis(
  'redis-queue',
  LOCAL_PORTS.redisQueue,
  ['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--appendfsync', 'everysec'],
  // Plain SHUTDOWN fsyncs the AOF first, so queued jobs are on disk before the process exits.
  ['SHUTDOWN'],
);
