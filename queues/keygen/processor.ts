/** The worker side of a refill: top the block list up from the PostgreSQL allocator. */
import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from '../../observability/logger';
import { KEYGEN_REFILL_JOB } from '../names';
import type { Allocator } from './allocator';
import { topUpBlocks } from './blocks';
import type { RefillData } from './queue';

export interface ProcessorDeps {
  allocator: Allocator;
  /** The queue Redis holding the block list. */
  redis: Redis;
  /** The block list's key (deploymentNames(config).keygenBlocks). */
  listKey: string;
  /** Blocks the list is topped up to, and the IDs in each. */
  depth: number;
  blockSize: number;
  log: Logger;
}

function parseRefill(data: unknown): RefillData {
  const trigger = (typeof data === 'object' && data !== null ? (data as Record<string, unknown>).trigger : undefined);
  // Retrying bad input cannot help: fail the job at once so it shows up in the board's failed list.
  if (trigger !== 'schedule' && trigger !== 'low-watermark') throw new UnrecoverableError(`invalid refill request: ${JSON.stringify(data)}`);
  return { trigger };
}

/** Builds the keygen worker's processor: one handler per job name, unknown names fail without retry. */
export function createKeygenProcessor(deps: ProcessorDeps): Processor<RefillData, number> {
  const handlers: Record<string, (job: Job<RefillData, number>) => Promise<number>> = {
    [KEYGEN_REFILL_JOB]: async (job) => {
      const { trigger } = parseRefill(job.data);
      // Re-running a job is harmless: it pushes only what the list lacks at that moment.
      const pushed = await topUpBlocks(deps.redis, deps.listKey, deps.allocator, deps.depth, deps.blockSize);
      if (pushed) deps.log.debug({ jobId: job.id, trigger, pushed }, 'block list topped up');
      return pushed;
    },
  };
  return async (job) => {
    const handler = handlers[job.name];
    if (!handler) throw new UnrecoverableError(`unknown keygen job '${job.name}'`);
    return handler(job);
  };
}
