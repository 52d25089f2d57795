/**
 * The keygen refill queue: one job kind (`refill`: top the block list up), started two ways and both
 * visible in Bull Board: a job scheduler every KEYGEN_REFILL_INTERVAL_SECONDS, and a low-watermark job an
 * API process adds, without waiting for it, when it pops the list below its watermark.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from '../../observability/logger';
import { KEYGEN_QUEUE, KEYGEN_REFILL_JOB } from '../names';

/** What started a refill; anything else is refused without retry. */
export type RefillTrigger = 'schedule' | 'low-watermark';

export interface RefillData {
  trigger: RefillTrigger;
}

export type KeygenQueue = Queue<RefillData, number>;

/** The job scheduler's id: upserting it again (every worker start) updates, never duplicates, it. */
export const REFILL_SCHEDULER_ID = 'keygen-refill-schedule';

/**
 * The low-watermark job's id: deterministic, so every API that sees the list low while a refill is pending
 * adds the same job once. Removed on completion so that the next low watermark can add it again.
 */
export const LOW_WATERMARK_JOB_ID = 'keygen-refill-low-watermark';

// Completed scheduled runs are evidence only for a while; failed ones stay longer for an operator to see.
export const REFILL_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { age: 3600, count: 100 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
};

export interface KeygenQueueOptions {
  /** BullMQ key prefix (deploymentNames(config).queuePrefix). */
  prefix: string;
  name?: string;
  /** Where connection errors go; without a listener an `error` event would crash the process. */
  log?: Logger;
}

/** The queue, on the queue Redis (never the cache Redis, which may evict). */
export function createKeygenQueue(connection: Redis, opts: KeygenQueueOptions): KeygenQueue {
  const queue = new Queue<RefillData, number>(opts.name ?? KEYGEN_QUEUE, {
    connection,
    prefix: opts.prefix,
    defaultJobOptions: REFILL_JOB_OPTIONS,
  });
  queue.on('error', (err) => opts.log?.warn({ err: err.message }, 'keygen queue error'));
  return queue;
}

/** Creates or updates the refill scheduler (idempotent: the keygen worker calls it at every start). */
export async function ensureRefillScheduler(queue: KeygenQueue, everySeconds: number): Promise<void> {
  await queue.upsertJobScheduler(
    REFILL_SCHEDULER_ID,
    { every: Math.round(everySeconds * 1000) },
    { name: KEYGEN_REFILL_JOB, data: { trigger: 'schedule' }, opts: REFILL_JOB_OPTIONS },
  );
}

/** Adds the low-watermark job (a no-op while one is pending); resolves once added, never waits for it to run. */
export async function addLowWatermarkJob(queue: KeygenQueue): Promise<void> {
  await queue.add(KEYGEN_REFILL_JOB, { trigger: 'low-watermark' }, {
    ...REFILL_JOB_OPTIONS,
    jobId: LOW_WATERMARK_JOB_ID,
    removeOnComplete: true,
  });
}
