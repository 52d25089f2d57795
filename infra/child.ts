/**
 * The one way to run a linkhop process as a child and wait for it: `npm start`'s supervisor, the test
 * helpers and the bench all spawn through here. A child is `node --import tsx <entry>` (one process, so a
 * signal reaches the service itself); its output is kept (bounded) for failure messages and read line by
 * line, so readiness is an event (a log line, an HTTP 200), never a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { ProcessDef } from './processes';
import { waitUntil } from './wait';

export const ROOT = path.resolve(__dirname, '..');

export interface SpawnOptions {
  /** Shown in messages; defaults to the entry. */
  name?: string;
  /** TypeScript entry file, relative to the repository root. */
  entry: string;
  args?: string[];
  /** Added to this process's environment (a value of undefined removes the variable). */
  env?: Record<string, string | undefined>;
  /** Node flags before the entry (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Opens an IPC channel (process.send in the child). */
  ipc?: boolean;
  /** Called with every output line (stdout and stderr). */
  onLine?: (line: string) => void;
  /** Output lines kept for tail()/grep() (default 400). */
  keepLines?: number;
}

/** A running (or exited) child with its recent output. */
export class Child {
  readonly proc: ChildProcess;
  readonly name: string;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  private readonly lines: string[] = [];
  private readonly listeners = new Set<(line: string) => void>();

  constructor(readonly opts: SpawnOptions) {
    this.name = opts.name ?? opts.entry;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    this.proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', opts.entry, ...(opts.args ?? [])], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? (['ipc'] as const) : [])],
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    const keep = opts.keepLines ?? 400;
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        if (this.lines.length > keep) this.lines.splice(0, this.lines.length - keep);
        opts.onLine?.(line);
        for (const fn of this.listeners) fn(line);
      });
    }
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves when a line matching `re` appears (or already has); rejects if the child exits or time runs out. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(onLine);
        this.proc.off('exit', onExit);
        fn();
      };
      const onLine = (line: string) => {
        if (re.test(line)) done(() => resolve(line));
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(() => reject(new Error(`${this.name} exited (${signal ?? code}) before printing ${re}:\n${this.tail()}`)));
      const timer = setTimeout(() => done(() => reject(new Error(`${this.name}: no ${re} within ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      this.listeners.add(onLine);
      if (!this.running) onExit(this.proc.exitCode, this.proc.signalCode);
      else this.proc.once('exit', onExit);
    });
  }

  /** Waits until `def` reports ready: its log line, then (when `baseUrl` is given) a 200 from its ready path. */
  async waitReady(def: ProcessDef, opts: { timeoutMs?: number; baseUrl?: string } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 90_000;
    // A process with a ready path is asked over HTTP when the caller knows its URL: a 200 there means it
    // serves, not only that it listens.
    if (!def.readyPath || !opts.baseUrl) {
      await this.waitForLine(def.readyLine, timeoutMs);
      return;
    }
    const url = `${opts.baseUrl}${def.readyPath}`;
    let last = 'no answer';
    await waitUntil(
      async () => {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
          last = `${res.status} ${await res.text()}`;
          return res.status === 200;
        } catch (err) {
          last = (err as Error).message;
          return false;
        }
      },
      {
        timeoutMs,
        bail: () => (this.running ? undefined : `${this.name} exited before it was ready:\n${this.tail()}`),
        describe: () => `${this.name} not ready (last ${def.readyPath}: ${last}):\n${this.tail()}`,
      },
    );
  }

  /** Sends `signal` (SIGKILL after `graceMs`) and resolves with the exit code; null if it was not running. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | null> {
    if (!this.running) return this.proc.exitCode;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last output lines, for assertion and error messages. */
  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Output lines matching `re`. */
  grep(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
}

/** Spawns `def` with `env` and resolves once it is ready; the child is killed if it never gets there. */
export async function startProcess(
  def: ProcessDef,
  opts: Omit<SpawnOptions, 'entry'> & { timeoutMs?: number; baseUrl?: string } = {},
): Promise<Child> {
  const child = new Child({ name: def.name, ...opts, entry: def.entry, nodeFlags: [...(def.nodeFlags ?? []), ...(opts.nodeFlags ?? [])] });
  try {
    await child.waitReady(def, opts);
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }
  return child;
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
