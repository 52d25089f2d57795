/** The keygen refill queue: its name, job shape and options, shared by requesters, the worker and Bull Board. */
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type Redis from 'ioredis';
import { KEYGEN_QUEUE } from '../names';
import type { Logger } from '../../observability/logger';
import type { IdBlock } from './allocator';

/** A request for one block: who asks (process id) and which of its refills this is. */
export interface RefillData {
  processId: string;
  seq: number;
  size: number;
  /** Set by the worker once it has reserved the block, so a re-run returns the same one. */
  reserved?: IdBlock;
}

export type KeygenQueue = Queue<RefillData, IdBlock>;

export interface KeygenQueueOptions {
  /** BullMQ key prefix (config QUEUE_PREFIX). */
  prefix: string;
  name?: string;
  /** Where connection errors go; without a listener an `error` event would crash the process. */
  log?: Logger;
}

/** Deterministic id, so a refill added twice (a retried add, a restarted requester) is one job. */
export function refillJobId(processId: string, seq: number): string {
  return `keygen-refill:${processId}:${seq}`;
}

// Completed jobs are evidence only for a while; failed ones stay longer so an operator sees them in the board.
export const REFILL_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

/** The queue, on the queue Redis (never the cache Redis, which may evict). */
export function createKeygenQueue(connection: Redis, opts: KeygenQueueOptions): KeygenQueue {
  const queue = new Queue<RefillData, IdBlock>(opts.name ?? KEYGEN_QUEUE, {
    connection,
    prefix: opts.prefix,
    defaultJobOptions: REFILL_JOB_OPTIONS,
  });
  queue.on('error', (err) => opts.log?.warn({ err: err.message }, 'keygen queue error'));
  return queue;
}

/** The completion stream requesters wait on; BullMQ gives it its own (blocking) connection. */
export function createKeygenEvents(connection: Redis, opts: KeygenQueueOptions): QueueEvents {
  const events = new QueueEvents(opts.name ?? KEYGEN_QUEUE, { connection, prefix: opts.prefix });
  events.on('error', (err) => opts.log?.warn({ err: err.message }, 'keygen queue events error'));
  return events;
}

/**
 * Closes the events reader. QueueEvents.close() waits for a first connection that may never come (queue
 * Redis down since boot); past `ms` the connection is force-closed so shutdown cannot hang on it.
 */
export async function closeKeygenEvents(events: QueueEvents, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const closing = events.close().catch(() => undefined);
  const outcome = await Promise.race([closing, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') await events.getBackend().close(true);
}
