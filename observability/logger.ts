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

/**
 * The logger for a process's ready line: at info whatever LOG_LEVEL says, because that line is how `npm
 * start`'s supervisor, the tests and an operator know the process is up (with LOG_LEVEL=warn, `npm start`
 * used to wait for lines it never got). Every other line still follows LOG_LEVEL.
 */
export function readyLogger(log: Logger): Logger {
  return log.levelVal > pino.levels.values.info ? log.child({}, { level: 'info' }) : log;
}

/**
 * `meta` with every Error value spelled out (type, message, cause, stack). Libraries such as the Temporal
 * SDK pass failures as Error objects inside their metadata, which JSON logs would print as `{}`.
 */
export function readableErrors(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return meta;
  const describe = (err: Error): Record<string, unknown> => ({
    type: err.name,
    message: err.message,
    ...(err.cause instanceof Error ? { cause: describe(err.cause) } : {}),
    stack: err.stack,
  });
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, v instanceof Error ? describe(v) : v]));
}
