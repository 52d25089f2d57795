/** A process-local pool of reserved ID blocks: handing out an ID is an increment, never I/O. */
import type { IdBlock } from './allocator';

export interface IdPool {
  /** The next ID, or undefined when every block is used up. */
  take(): number | undefined;
  /** Adds a freshly reserved block behind the ones already held. */
  add(block: IdBlock): void;
  /** IDs left across all held blocks. */
  available(): number;
  /** Forgets every held ID: they stay reserved in PostgreSQL and are never handed out. */
  drain(): void;
}

/** Builds an empty pool. */
export function createIdPool(): IdPool {
  let next = 0;
  let end = 0;
  const spare: IdBlock[] = [];
  let spareIds = 0;

  return {
    take() {
      if (next >= end) {
        const block = spare.shift();
        if (!block) return undefined;
        spareIds -= block.end - block.start;
        next = block.start;
        end = block.end;
      }
      return next++;
    },
    add(block) {
      spare.push({ start: block.start, end: block.end });
      spareIds += block.end - block.start;
    },
    available: () => end - next + spareIds,
    drain() {
      next = end = spareIds = 0;
      spare.length = 0;
    },
  };
}
