/**
 * Runs the project's processes as supervised children: a crashed child is restarted with backoff, and
 * stop() ends the API first, so requests drain while the workers are still there, then the workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface ProcessSpec {
  name: string;
  /** TypeScript entry file, run with the tsx loader in this Node binary. */
  entry: string;
  env?: NodeJS.ProcessEnv;
}

interface Child {
  spec: ProcessSpec;
  proc?: ChildProcess;
  restarts: number;
  startedAt: number;
}

export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(
    private readonly cwd: string,
    private readonly print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  ) {}

  /** Starts every process; each is restarted if it exits while the supervisor is running. */
  start(specs: ProcessSpec[]): void {
    for (const spec of specs) {
      const child: Child = { spec, restarts: 0, startedAt: 0 };
      this.children.push(child);
      this.launch(child);
    }
  }

  /**
   * Stops the first child (the API, so its requests drain while the workers still run), then every other
   * child together; each gets SIGTERM, then SIGKILL after `graceMs`.
   */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    const [first, ...rest] = this.children;
    if (first) await this.stopChild(first, graceMs);
    await Promise.all(rest.map((child) => this.stopChild(child, graceMs)));
  }

  private async stopChild(child: Child, graceMs: number): Promise<void> {
    const proc = child.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    this.print(`■ ${child.spec.name} stopped`);
  }

  private launch(child: Child): void {
    const { spec } = child;
    child.startedAt = Date.now();
    const proc = spawn(process.execPath, ['--import', 'tsx', spec.entry], {
      cwd: this.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.proc = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.print(`[${spec.name}] ${line}`));
    }
    proc.on('exit', (code, signal) => {
      if (this.stopping) return;
      // A child that ran for a minute has earned a fresh backoff.
      if (Date.now() - child.startedAt > 60_000) child.restarts = 0;
      const delay = Math.min(1000 * 2 ** child.restarts, 30_000);
      child.restarts += 1;
      this.print(`✖ ${spec.name} exited (${signal ?? code}); restarting in ${delay / 1000}s`);
      setTimeout(() => {
        if (!this.stopping) this.launch(child);
      }, delay).unref();
    });
  }
}
