/** PostgreSQL 15 from Debian, run as user postgres when we are root because initdb and postgres refuse root. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { LOCAL_PORTS } from '../../config';
import { needs } from '../install';
import { isRoot, repoRoot, serviceDir } from '../paths';
import { HOST } from '../probes';
import { livePid, rotateLog, run, runOk, terminate } from '../process';
import type { Service } from './types';

const BIN = '/usr/lib/postgresql/15/bin';
const PORT = LOCAL_PORTS.postgres;
const DIR = dataHome();
const DATA = path.join(DIR, 'data');
const LOG = path.join(DIR, 'postgres.log');
const DATABASES = ['linkhop', 'linkhop_test'];
// The data dir appears in the postmaster's command line; matching on it ignores any other cluster.
const NEEDLES = ['postgres', DATA];

/**
 * The clone's .cache when user postgres can walk down to it; otherwise (a clone under a private home, as
 * root) a folder of this clone's own under the system temp dir, which every user can traverse.
 */
function dataHome(): string {
  const inClone = serviceDir('postgres');
  if (!isRoot) return inClone;
  for (let p = path.dirname(repoRoot); p !== path.dirname(p); p = path.dirname(p)) {
    if ((fs.statSync(p).mode & 0o001) === 0) {
      const id = createHash('sha256').update(repoRoot).digest('hex').slice(0, 12);
      return path.join(os.tmpdir(), `linkhop-${id}`, 'postgres');
    }
  }
  return inClone;
}

/** Runs a server binary as postgres when root (runuser needs no password and keeps no extra process). */
function asOwner(bin: string, args: string[]): [string, string[]] {
  const exe = path.join(BIN, bin);
  return isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
}

/**
 * user postgres must be able to walk down to the data dir. Components inside the clone are ours to
 * open up (o+x only: traverse, not list); anything above it we only diagnose.
 */
async function prepareDir(): Promise<void> {
  if (!isRoot) {
    fs.mkdirSync(DIR, { recursive: true });
    return;
  }
  fs.mkdirSync(path.dirname(DIR), { recursive: true });
  await runOk('install', ['-d', '-o', 'postgres', '-g', 'postgres', '-m', '0700', DIR]);
  for (let p = path.dirname(DIR); p.startsWith(repoRoot); p = path.dirname(p)) {
    const mode = fs.statSync(p).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(p, mode | 0o001);
    if (p === repoRoot) break;
  }
  if ((await run('runuser', ['-u', 'postgres', '--', 'test', '-w', DIR])).code !== 0) {
    const blocked: string[] = [];
    for (let p = path.dirname(repoRoot); p !== path.dirname(p); p = path.dirname(p)) {
      if ((fs.statSync(p).mode & 0o001) === 0) blocked.unshift(p);
    }
    throw new Error(
      `user postgres cannot reach ${DIR} (PostgreSQL refuses to run as root, so it runs as postgres).\n` +
        `Allow traversal with:  chmod o+x ${blocked.join(' ') || '<the blocking parent>'}\n` +
        'or clone the repo somewhere every user can traverse.',
    );
  }
}

async function initdb(): Promise<void> {
  if (fs.existsSync(path.join(DATA, 'PG_VERSION'))) return;
  // A half-finished initdb leaves a non-empty dir that initdb would refuse forever.
  fs.rmSync(DATA, { recursive: true, force: true });
  const [cmd, args] = asOwner('initdb', ['-D', DATA, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  await runOk(cmd, args, { timeoutMs: 120_000 });
}

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: HOST, port: PORT, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const postgres: Service = {
  name: 'postgres',
  endpoint: `postgres://postgres@${HOST}:${PORT}/linkhop`,
  logFile: LOG,
  ports: [PORT],
  readyTimeoutMs: 60_000,
  missingPackages: () => needs(path.join(BIN, 'pg_ctl'), 'postgresql'),
  pendingInstall: () => undefined,
  install: async () => undefined,
  pid() {
    return livePid(path.join(DATA, 'postmaster.pid'), NEEDLES);
  },
  async probe() {
    // As user postgres: pg_isready defaults to the OS user, and PostgreSQL logs `FATAL: role "root"` per probe.
    return (await run(path.join(BIN, 'pg_isready'), ['-q', '-h', HOST, '-p', String(PORT), '-U', 'postgres', '-d', 'postgres', '-t', '2'])).code === 0;
  },
  async start() {
    await prepareDir();
    await initdb();
    rotateLog(LOG);
    const opts = `-p ${PORT} -k ${DIR} -c listen_addresses=${HOST}`;
    // pg_ctl itself discards a postmaster.pid whose process is gone, so a kill -9 needs no cleanup here.
    const [cmd, args] = asOwner('pg_ctl', ['-D', DATA, '-l', LOG, '-w', '-t', '60', '-o', opts, 'start']);
    await runOk(cmd, args, { timeoutMs: 90_000 });
  },
  async afterReady() {
    await withClient(async (c) => {
      for (const db of DATABASES) {
        const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
        if (found.rowCount === 0) await c.query(`CREATE DATABASE "${db}"`);
      }
    });
  },
  async stop() {
    const pid = postgres.pid();
    if (pid === undefined) return;
    const [cmd, args] = asOwner('pg_ctl', ['-D', DATA, '-m', 'fast', '-w', '-t', '30', 'stop']);
    await run(cmd, args, { timeoutMs: 40_000 });
    // Backends outlive a killed postmaster briefly; terminate() waits them out via the postmaster pid.
    await terminate(pid, NEEDLES, 10_000);
  },
};
