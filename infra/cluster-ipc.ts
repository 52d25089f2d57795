/**
 * Requests over node:cluster's IPC channel, with replies matched by id and a deadline on every wait: a worker
 * asks the primary, the primary asks every live worker. Only messages whose type starts with `linkhop:` are
 * ours; prom-client's own cluster messages pass by untouched.
 */
import cluster, { type Worker } from 'node:cluster';

interface Request {
  kind: 'linkhop:req';
  type: string;
  id: number;
  payload: unknown;
}
interface Reply {
  kind: 'linkhop:res';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}
type Handler = (payload: unknown) => Promise<unknown>;

const isRequest = (m: unknown): m is Request => typeof m === 'object' && m !== null && (m as Request).kind === 'linkhop:req';
const isReply = (m: unknown): m is Reply => typeof m === 'object' && m !== null && (m as Reply).kind === 'linkhop:res';

let nextId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
const handlers = new Map<string, Handler>();
let installed = false;

function settleReply(reply: Reply): void {
  const waiter = pending.get(reply.id);
  if (!waiter) return; // answered after its deadline
  pending.delete(reply.id);
  clearTimeout(waiter.timer);
  if (reply.ok) waiter.resolve(reply.value);
  else waiter.reject(new Error(reply.error ?? 'cluster request failed'));
}

function answer(req: Request, send: (m: Reply) => void): void {
  const handler = handlers.get(req.type);
  const reply = (r: Omit<Reply, 'kind' | 'id'>) => {
    try {
      send({ kind: 'linkhop:res', id: req.id, ...r });
    } catch {
      // The asker is gone (its channel closed); nobody waits for this answer any more.
    }
  };
  if (!handler) return reply({ ok: false, error: `no handler for ${req.type}` });
  handler(req.payload).then(
    (value) => reply({ ok: true, value }),
    (err: unknown) => reply({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
}

function install(): void {
  if (installed) return;
  installed = true;
  if (cluster.isPrimary) {
    cluster.on('message', (worker, m: unknown) => {
      if (isReply(m)) settleReply(m);
      else if (isRequest(m)) answer(m, (r) => worker.send(r));
    });
  } else {
    process.on('message', (m: unknown) => {
      if (isReply(m)) settleReply(m);
      else if (isRequest(m)) answer(m, (r) => process.send?.(r));
    });
  }
}

/** Answers requests of `type` from the other side (a worker's requests in the primary, the primary's in a worker). */
export function handleClusterRequests(type: string, handler: Handler): void {
  install();
  handlers.set(type, handler);
}

function request(send: (m: Request) => void, type: string, payload: unknown, timeoutMs: number): Promise<unknown> {
  install();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`cluster request ${type} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer });
    try {
      send({ kind: 'linkhop:req', type, id, payload });
    } catch (err) {
      pending.delete(id);
      clearTimeout(timer);
      reject(err as Error);
    }
  });
}

/** From a worker: asks the primary and resolves with its answer. */
export function askPrimary(type: string, payload: unknown, timeoutMs: number): Promise<unknown> {
  if (!process.send || !process.connected) return Promise.reject(new Error('not a connected cluster worker'));
  return request((m) => process.send!(m), type, payload, timeoutMs);
}

/** From the primary: asks every live worker; one settled result per worker (a worker that fails or is late is a rejection). */
export function askWorkers(type: string, payload: unknown, timeoutMs: number): Promise<Array<PromiseSettledResult<unknown>>> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  return Promise.allSettled(workers.map((w) => request((m) => w.send(m), type, payload, timeoutMs)));
}
