/**
 * An open-loop GET load at a steady rate, for latency at a given load. autocannon's overallRate sends each
 * connection's quota for the second back to back and then idles, so its "half load" is full load half the
 * time. Here request i is due at start + i/rate whatever the server does, goes out on an idle keep-alive
 * socket, and its latency counts from when it was due (a stalled server cannot hide its queue).
 * Only for GET responses that carry Content-Length (the redirect's do).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { latencySummary, Samples, type LoadRun } from './load';

export interface PacedSpec {
  host: string;
  port: number;
  rate: number;
  durationS: number;
  sockets: number;
  expectStatus: number;
  nextPath: () => string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Runs a steady-rate GET load. `run` times each request from when it was due; `fromSend` from when it left,
 * which leaves out any delay of the load generator itself (both count the same responses).
 */
export async function runPaced(spec: PacedSpec): Promise<{ run: LoadRun; fromSend: LoadRun }> {
  const samples = new Samples();
  const fromSend = new Samples();
  const statusCounts: Record<string, number> = {};
  const due: number[] = [];
  const idle: Conn[] = [];
  const all: Conn[] = [];
  let ok = 0;
  let broken: Error | undefined;
  let scheduled = 0;
  let done = 0;

  interface Conn {
    socket: net.Socket;
    buf: Buffer;
    dueAt: number;
    sentAt: number;
  }

  const dispatch = () => {
    while (due.length && idle.length) {
      const conn = idle.pop() as Conn;
      conn.dueAt = due.shift() as number;
      conn.sentAt = performance.now();
      conn.socket.write(`GET ${spec.nextPath()} HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\n\r\n`);
    }
  };
  const complete = (conn: Conn, status: number) => {
    const now = performance.now();
    samples.push(now - conn.dueAt);
    fromSend.push(now - conn.sentAt);
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    if (status === spec.expectStatus) ok++;
    done++;
    idle.push(conn);
  };
  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const conn: Conn = { socket: net.connect(spec.port, spec.host), buf: Buffer.alloc(0), dueAt: 0, sentAt: 0 };
      all.push(conn);
      conn.socket.setNoDelay(true);
      conn.socket.once('connect', () => {
        idle.push(conn);
        resolve();
      });
      conn.socket.on('data', (chunk: Buffer) => {
        conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
        for (;;) {
          const end = conn.buf.indexOf(HEAD_END);
          if (end < 0) return;
          const head = conn.buf.subarray(0, end).toString('latin1');
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
          if (!Number.isFinite(length)) {
            broken ??= new Error(`paced load needs Content-Length; got:\n${head}`);
            conn.socket.destroy();
            return;
          }
          if (conn.buf.length < end + 4 + length) return;
          conn.buf = conn.buf.subarray(end + 4 + length);
          complete(conn, Number(head.slice(9, 12)));
          dispatch();
        }
      });
      // A dead socket leaves the pool; a request it carried is counted as a timeout.
      conn.socket.once('close', () => {
        const i = idle.indexOf(conn);
        if (i >= 0) idle.splice(i, 1);
      });
      conn.socket.once('error', reject);
    });

  await Promise.all(Array.from({ length: spec.sockets }, open));
  const start = performance.now();
  const total = Math.floor(spec.rate * spec.durationS);
  await new Promise<void>((resolve) => {
    // A 1 ms tick releases every request that has come due, each stamped with its own due time.
    const timer = setInterval(() => {
      const now = performance.now();
      const target = Math.min(total, Math.floor(((now - start) / 1000) * spec.rate));
      while (scheduled < target) due.push(start + (scheduled++ * 1000) / spec.rate);
      dispatch();
      if (scheduled >= total || broken) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  // Let what was sent or queued finish; whatever is still out after 10 s counts as a timeout.
  const deadline = performance.now() + 10_000;
  while (done < scheduled && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const durationS = (performance.now() - start) / 1000;
  const timeouts = scheduled - done;
  for (const conn of all) conn.socket.destroy();
  if (broken) throw broken;
  const stats = {
    rps: Math.round(ok / spec.durationS),
    latencyMs: latencySummary(samples.values()),
    errors: done - ok + timeouts,
    ok,
    responses: done,
    timeouts,
    statusCounts,
    durationS: Math.round(durationS * 100) / 100,
    connections: spec.sockets,
  };
  return {
    run: { samples, stats },
    fromSend: { samples: fromSend, stats: { ...stats, latencyMs: latencySummary(fromSend.values()) } },
  };
}
