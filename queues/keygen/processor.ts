/** The worker side of a refill: reserve the next block from PostgreSQL for the process that asked. */
import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import type { Logger } from '../../observability/logger';
import { KEYGEN_REFILL_JOB } from '../names';
import { isIdBlock, type Allocator, type IdBlock } from './allocator';
import type { RefillData } from './queue';

export interface ProcessorDeps {
  allocator: Allocator;
  log: Logger;
  /** Largest block a requester may ask for (config bound of ID_BLOCK_SIZE). */
  maxBlockSize: number;
}

function parseRefill(data: unknown, maxBlockSize: number): RefillData {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const ok =
    typeof d.processId === 'string' && d.processId.length > 0 && d.processId.length <= 200 &&
    Number.isSafeInteger(d.seq) && (d.seq as number) >= 0 &&
    Number.isSafeInteger(d.size) && (d.size as number) >= 1 && (d.size as number) <= maxBlockSize;
  // Retrying bad input cannot help: fail the job at once so it shows up in the board's failed list.
  if (!ok) throw new UnrecoverableError(`invalid refill request: ${JSON.stringify(data)}`);
  return d as unknown as RefillData;
}

/** Builds the keygen worker's processor: one handler per job name, unknown names fail without retry. */
export function createKeygenProcessor(deps: ProcessorDeps): Processor<RefillData, IdBlock> {
  const handlers: Record<string, (job: Job<RefillData, IdBlock>) => Promise<IdBlock>> = {
    [KEYGEN_REFILL_JOB]: async (job) => {
      const data = parseRefill(job.data, deps.maxBlockSize);
      // A run that stalled after reserving left its block on the job: hand out that one instead of
      // burning another, so re-running a job does not change its result.
      if (isIdBlock(data.reserved)) return data.reserved;
      const block = await deps.allocator.reserve(data.size);
      await job.updateData({ ...data, reserved: block });
      deps.log.debug({ jobId: job.id, ...block }, 'block reserved');
      return block;
    },
  };
  return async (job) => {
    const handler = handlers[job.name];
    if (!handler) throw new UnrecoverableError(`unknown keygen job '${job.name}'`);
    return handler(job);
  };
}
