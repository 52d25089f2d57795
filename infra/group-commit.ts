/**
 * Group commit: items submitted in the same event-loop turn are handed to one `commit` call, so N concurrent
 * requests cost one statement, one round trip and one commit instead of N. A batch is cut at `maxBatch`
 * items; at most `maxInFlight` batches run at once, and items arriving meanwhile wait for the next batch,
 * so batches grow with the load instead of queueing many small ones in the connection pool.
 */

export interface GroupCommitOptions<I, O> {
  /** Most items in one commit call (>= 1). */
  maxBatch: number;
  /** Batches running at once (>= 1). */
  maxInFlight: number;
  /** Commits one batch: one outcome per item, in order. A rejection fails every item of the batch. */
  commit: (items: readonly I[]) => Promise<readonly O[]>;
}

export interface GroupCommit<I, O> {
  /** Queues `item` for the next batch; settles with its own outcome, or rejects with its batch's error. */
  submit(item: I): Promise<O>;
  /** Items queued or in a running batch (tests and metrics). */
  pending(): number;
}

interface Waiter<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (err: unknown) => void;
}

/** Builds a group committer over `commit`. */
export function createGroupCommit<I, O>(opts: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  if (opts.maxBatch < 1 || opts.maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  let queue: Array<Waiter<I, O>> = [];
  let inFlight = 0;
  let running = 0;
  let scheduled = false;

  const run = async (batch: Array<Waiter<I, O>>): Promise<void> => {
    inFlight++;
    running += batch.length;
    try {
      const outcomes = await opts.commit(batch.map((w) => w.item));
      if (outcomes.length !== batch.length) throw new Error(`commit returned ${outcomes.length} outcomes for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(outcomes[i] as O));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      inFlight--;
      running -= batch.length;
      drain();
    }
  };

  // Starts as many batches as the in-flight bound allows; what stays queued goes when a batch finishes.
  const drain = () => {
    while (queue.length > 0 && inFlight < opts.maxInFlight) {
      const batch = queue.length <= opts.maxBatch ? queue : queue.slice(0, opts.maxBatch);
      queue = batch === queue ? [] : queue.slice(opts.maxBatch);
      void run(batch);
    }
  };

  const flush = () => {
    scheduled = false;
    drain();
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // A full batch need not wait for the turn to end; otherwise setImmediate runs after this turn's I/O
        // callbacks, so every request whose body arrived in the same poll joins the batch.
        if (queue.length >= opts.maxBatch) drain();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    pending: () => queue.length + running,
  };
}
