/**
 * Ordered shutdown: servers first, then workers, then queues, then connections, under a force timer,
 * so in-flight work drains before the connections it needs are closed.
 */
import type { Logger } from '../observability/logger';

export type ShutdownPhase = 'servers' | 'workers' | 'queues' | 'connections';
const ORDER: ShutdownPhase[] = ['servers', 'workers', 'queues', 'connections'];

export class Shutdown {
  private readonly tasks = new Map<ShutdownPhase, Array<{ name: string; fn: () => Promise<unknown> | unknown }>>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly forceAfterMs = 15_000,
  ) {}

  /** Registers `fn` to run in `phase`; tasks of one phase run concurrently. */
  add(phase: ShutdownPhase, name: string, fn: () => Promise<unknown> | unknown): this {
    const list = this.tasks.get(phase) ?? [];
    list.push({ name, fn });
    this.tasks.set(phase, list);
    return this;
  }

  /** Runs every phase in order once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= this.runOnce(reason);
    return this.running;
  }

  /** Runs the shutdown on SIGINT/SIGTERM and exits. */
  installSignalHandlers(): void {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        void this.run(sig).then(() => process.exit(0));
      });
    }
  }

  private async runOnce(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    const force = setTimeout(() => {
      this.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, this.forceAfterMs);
    force.unref();
    for (const phase of ORDER) {
      await Promise.all(
        (this.tasks.get(phase) ?? []).map(async ({ name, fn }) => {
          try {
            await fn();
          } catch (err) {
            this.log.warn({ err, phase, task: name }, 'shutdown task failed');
          }
        }),
      );
    }
    clearTimeout(force);
    this.log.info('shutdown complete');
  }
}
