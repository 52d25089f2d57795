/**
 * Prometheus from Debian, scraping every process of `npm start` on the metrics ports the process manifest
 * names, with the same alert rules as every other deployment. Its config is rewritten on every start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_PORTS } from '../../config';
import { localTargets, prometheusConfig } from '../../../observability/prometheus-local';
import { needs } from '../install';
import { serviceDir } from '../paths';
import { HOST, httpGet } from '../probes';
import { livePid, rotateLog, spawnDetached, terminate } from '../process';
import type { Service } from './types';

const PORT = LOCAL_PORTS.prometheus;
const DIR = serviceDir('prometheus');
const CONFIG = path.join(DIR, 'prometheus.yml');
const PID_FILE = path.join(DIR, 'service.pid');
const LOG = path.join(DIR, 'prometheus.log');
const NEEDLES = ['prometheus', CONFIG];
const URL = `http://${HOST}:${PORT}`;

/** Arguments of a Prometheus serving `config` on `port` with its data in `dir` (tests start their own). */
export function prometheusArgs(config: string, dir: string, port: number): string[] {
  return [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--storage.tsdb.retention.time=7d',
    `--web.listen-address=${HOST}:${port}`,
    '--log.level=warn',
  ];
}

export const prometheus: Service = {
  name: 'prometheus',
  endpoint: URL,
  logFile: LOG,
  ports: [PORT],
  readyTimeoutMs: 60_000,
  missingPackages: () => needs('/usr/bin/prometheus', 'prometheus'),
  pendingInstall: () => undefined,
  install: async () => undefined,
  pid() {
    return livePid(PID_FILE, NEEDLES);
  },
  async probe() {
    return (await httpGet(`${URL}/-/ready`, 1000))?.status === 200;
  },
  async start() {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(CONFIG, prometheusConfig({ targets: localTargets() }));
    rotateLog(LOG);
    await spawnDetached('/usr/bin/prometheus', prometheusArgs(CONFIG, DIR, PORT), { logFile: LOG, pidFile: PID_FILE, cwd: DIR });
  },
  afterReady: async () => undefined,
  async stop() {
    const pid = prometheus.pid();
    if (pid !== undefined) await terminate(pid, NEEDLES, 30_000);
  },
};
