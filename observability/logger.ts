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
