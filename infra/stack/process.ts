/** Child-process helpers: run-to-completion commands, detached servers, pid files and shutdown. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { sleep, waitUntil } from '../wait';

export interface RunResult {
  code: number;
  output: string;
}

/** Runs a command to completion; never rejects on a non-zero exit so callers can decide what failure means. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (b: Buffer) => {
      output += b.toString();
      // Only the tail is ever shown; cap memory for chatty tools such as apt or maven.
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, output: `${output}${err.message}\n` });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** Like run, but a non-zero exit becomes an error carrying the command's last lines of output. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    const tail = res.output.trim().split('\n').slice(-30).join('\n');
    throw new Error(`\`${[cmd, ...args].join(' ')}\` exited with ${res.code}\n${tail}`);
  }
  return res.output;
}

/**
 * Starts a server that must outlive this CLI: own process group, output appended to its log, pid recorded.
 * Resolves once the OS accepted the exec, not when the server is ready.
 */
export async function spawnDetached(
  cmd: string,
  args: string[],
  opts: { logFile: string; pidFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<number> {
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    fs.writeFileSync(opts.pidFile, `${child.pid}\n`);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').split('\n')[0].trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid in `file` when that process runs and its command line has every needle; else undefined. */
export function livePid(file: string, needles: string[] = []): number | undefined {
  const pid = readPid(file);
  return pid !== undefined && isAlive(pid, needles) ? pid : undefined;
}

/**
 * True when pid runs and its command line contains every needle. The needles guard against a stale pid
 * file whose pid the kernel has since handed to an unrelated process; zombies have an empty cmdline.
 */
export function isAlive(pid: number, needles: string[] = []): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    // No procfs (not Linux): kill(0) is all we can know.
    return !fs.existsSync('/proc/self');
  }
  return cmdline.trim() !== '' && needles.every((n) => cmdline.includes(n));
}

export { sleep };

/**
 * Polls check until it passes (a check that throws counts as not yet). bail is consulted first on every
 * round so a server that died while starting fails at once with its own reason instead of after the timeout.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; bail?: () => string | undefined },
): Promise<void> {
  await waitUntil(() => check().catch(() => false), opts).catch((err: Error) => {
    throw err.message.startsWith('timed out') ? new Error(`${what} not ready after ${Math.round(opts.timeoutMs / 1000)}s`) : err;
  });
}

/** SIGTERM, then SIGKILL once graceMs has passed; resolves when the process is really gone. */
export async function terminate(pid: number, needles: string[], graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      /* already gone */
    }
  };
  if (!isAlive(pid, needles)) return;
  signal('SIGTERM');
  const gone = () => Promise.resolve(!isAlive(pid, needles));
  try {
    await waitFor(`pid ${pid}`, gone, { timeoutMs: graceMs, intervalMs: 100 });
  } catch {
    signal('SIGKILL');
    await waitFor(`pid ${pid} after SIGKILL`, gone, { timeoutMs: 10_000, intervalMs: 100 });
  }
}

/**
 * A stopped server is re-parented to init, which may reap it a moment later; until then `ps` lists a
 * <defunct> entry. Waiting (bounded: a zombie holds no resources) keeps `down` followed by `ps` clean.
 */
export async function waitReaped(pid: number, timeoutMs = 5000): Promise<void> {
  const reaped = () => Promise.resolve(!fs.existsSync(`/proc/${pid}`) || !fs.existsSync('/proc/self'));
  await waitFor(`pid ${pid} reaped`, reaped, { timeoutMs, intervalMs: 50 }).catch(() => undefined);
}

/** Last n lines of a file, read from the end so huge logs stay cheap. */
export function tailLines(file: string, n: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return `(no log at ${file})`;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').replace(/\n$/, '').split('\n');
    return lines.slice(-n).join('\n');
  } finally {
    fs.closeSync(fd);
  }
}

/** Keeps one previous generation so logs of long-lived dev stacks do not grow without bound. */
export function rotateLog(file: string, maxBytes = 50 * 1024 * 1024): void {
  try {
    if (fs.statSync(file).size > maxBytes) fs.renameSync(file, `${file}.1`);
  } catch {
    /* no log yet */
  }
}
