/**
 * Real service processes for integration tests, from the process manifest: each runs through the one
 * spawn helper (infra/child.ts) and is ready when it logs its manifest ready line.
 */
import { Child, startProcess } from '../../infra/child';
import { processDef, type ProcessName } from '../../infra/processes';

export { freePort } from '../../infra/child';

/** One service process that can be killed and started again with the same env. */
export class ServiceProcess {
  private child: Child | undefined;

  constructor(
    readonly name: string,
    readonly process: ProcessName,
    readonly env: Record<string, string>,
  ) {}

  /** Starts the process and resolves once it logged its ready line. */
  async start(timeoutMs = 90_000): Promise<void> {
    this.child = await startProcess(processDef(this.process), { name: this.name, env: this.env, timeoutMs });
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`). */
  async kill(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<number | null> {
    if (!this.child?.running) return null;
    return this.child.stop(signal, timeoutMs);
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.child?.running ? this.child.pid : undefined;
  }

  /** The last lines of output, for assertion messages. */
  tail(lines = 40): string {
    return this.child?.tail(lines) ?? '';
  }

  /** Output lines matching `re`. */
  grep(re: RegExp): string[] {
    return this.child?.grep(re) ?? [];
  }
}
