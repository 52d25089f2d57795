/**
 * Runs the project's processes as supervised children: a crashed child is restarted with backoff, and
 * stop() ends the API first, so requests drain while the workers are still there, then the workers.
 */
import { Child } from './child';
import type { ProcessDef } from './processes';
import { waitUntil } from './wait';

export interface ProcessSpec {
  def: ProcessDef;
  env?: Record<string, string>;
}

interface Supervised {
  spec: ProcessSpec;
  child?: Child;
  restarts: number;
  startedAt: number;
}

export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;

  constructor(private readonly print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  /** Starts every process; each is restarted if it exits while the supervisor is running. */
  start(specs: ProcessSpec[]): void {
    for (const spec of specs) {
      const s: Supervised = { spec, restarts: 0, startedAt: 0 };
      this.children.push(s);
      this.launch(s);
    }
  }

  /** Resolves once the current run of every process has printed its ready line (a crashed one restarts). */
  async ready(timeoutMs = 120_000): Promise<void> {
    const notReady = () => this.children.filter((s) => !s.child?.grep(s.spec.def.readyLine).length).map((s) => s.spec.def.name);
    await waitUntil(() => notReady().length === 0, { timeoutMs, describe: () => `not ready: ${notReady().join(', ')}` });
  }

  /**
   * Stops the first child (the API, so its requests drain while the workers still run), then every other
   * child together; each gets SIGTERM, then SIGKILL after `graceMs`.
   */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    const [first, ...rest] = this.children;
    if (first) await this.stopChild(first, graceMs);
    await Promise.all(rest.map((s) => this.stopChild(s, graceMs)));
  }

  private async stopChild(s: Supervised, graceMs: number): Promise<void> {
    if (!s.child?.running) return;
    await s.child.stop('SIGTERM', graceMs);
    this.print(`■ ${s.spec.def.name} stopped`);
  }

  private launch(s: Supervised): void {
    const { def } = s.spec;
    s.startedAt = Date.now();
    const child = new Child({ name: def.name, entry: def.entry, nodeFlags: [...(def.nodeFlags ?? [])], env: s.spec.env, onLine: (line) => this.print(`[${def.name}] ${line}`) });
    s.child = child;
    void child.exited.then((code) => {
      if (this.stopping) return;
      // A child that ran for a minute has earned a fresh backoff.
      if (Date.now() - s.startedAt > 60_000) s.restarts = 0;
      const delay = Math.min(1000 * 2 ** s.restarts, 30_000);
      s.restarts += 1;
      this.print(`✖ ${def.name} exited (${child.proc.signalCode ?? code}); restarting in ${delay / 1000}s`);
      setTimeout(() => {
        if (!this.stopping) this.launch(s);
      }, delay).unref();
    });
  }
}
