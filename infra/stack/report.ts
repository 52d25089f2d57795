/** Console output of the launcher: one line per finished step, failures with the evidence to fix them. */
import fs from 'node:fs';
import { tailLines } from './process';

export interface Reporter {
  /** Step lines; suppressed by --quiet. */
  progress(line: string): void;
  /** Failures and the final summary; always shown. */
  always(line: string): void;
}

export function reporter(quiet = false): Reporter {
  return {
    progress: (line) => {
      if (!quiet) process.stdout.write(`${line}\n`);
    },
    always: (line) => process.stdout.write(`${line}\n`),
  };
}

export const elapsed = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A failure attributed to one service (or "apt"), optionally pointing at the log that explains it. */
export class StackFailure extends Error {
  constructor(
    readonly service: string,
    message: string,
    cause?: unknown,
    readonly logFile?: string,
  ) {
    super(cause === undefined ? message : `${message}: ${messageOf(cause)}`, { cause });
    this.name = 'StackFailure';
  }
}

export function asFailure(service: string, err: unknown, logFile?: string): StackFailure {
  return err instanceof StackFailure ? err : new StackFailure(service, messageOf(err), undefined, logFile);
}

/** Printed to stderr whatever --quiet says: the service, why, and the last 30 lines of its log. */
export function printFailure(f: StackFailure): void {
  const lines = [`✖ ${f.service}: ${f.message}`];
  if (f.logFile && fs.existsSync(f.logFile)) {
    lines.push(`── last 30 lines of ${f.logFile} ──`, tailLines(f.logFile, 30), '──');
  } else if (f.cause instanceof Error && f.cause.stack) {
    lines.push(f.cause.stack);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** Thrown by the programmatic API after every failure has been printed. */
export class StackError extends Error {
  constructor(readonly failures: StackFailure[]) {
    super(`stack: ${failures.map((f) => `${f.service}: ${f.message.split('\n')[0]}`).join('; ')}`);
    this.name = 'StackError';
  }
}
