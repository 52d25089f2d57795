/** Structured JSON logs (pino); one root logger per process, children per component. */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Creates the process's root logger; `name` is the process role (api, keygen-worker, ...). */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid, service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
