/**
 * Real service processes for integration tests: `node --import tsx <entry>` (one process, so a signal
 * reaches the service itself), output kept in memory for failure messages, readiness from a log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export const ENTRIES = {
  api: 'api/server.ts',
  consumer: 'queues/click-consumer.ts',
  worker: 'activities/worker.ts',
} as const;

/** The log line each entry prints once it serves. */
const READY: Record<string, RegExp> = {
  [ENTRIES.api]: /api listening/,
  [ENTRIES.consumer]: /click consumer running/,
  [ENTRIES.worker]: /temporal worker running/,
};

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

/** One service process that can be killed and started again with the same env. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private output: string[] = [];
  private exitPromise: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    readonly entry: string,
    readonly env: Record<string, string>,
  ) {}

  /** Starts the process and resolves once it logged its ready line. */
  async start(timeoutMs = 90_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exitPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = READY[this.entry];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.output.push(text);
        if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
        if (ready.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before it was ready:\n${this.tail()}`));
      });
    });
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return null;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of output, for assertion messages. */
  tail(lines = 40): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  /** Output lines matching `re`. */
  grep(re: RegExp): string[] {
    return this.output.join('').split('\n').filter((l) => re.test(l));
  }
}

/** Polls `check` until it returns true; throws with `describe()` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => Promise<string> | string = () => '',
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
