/**
 * Slow and greedy clients against the API's real HTTP server: a client that dribbles its headers is cut off
 * at the headers timeout while everyone else is answered, and the connection cap refuses sockets beyond it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startApi, type ApiHarness } from '../helpers/api';
import { waitUntil } from '../../infra/wait';

const HEADERS_TIMEOUT_MS = 1500;

interface SlowClient {
  /** Resolves once the server closed the socket: what it answered and when, from the first byte. */
  closed: Promise<{ reply: string; afterMs: number }>;
  stop(): void;
}

/** Opens a socket and sends one header line every 200 ms, never finishing the request. */
function slowHeaders(port: number): SlowClient {
  const socket = net.connect({ host: '127.0.0.1', port });
  let reply = '';
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (reply += d));
  socket.on('connect', () => {
    socket.write('GET /health HTTP/1.1\r\nHost: slow\r\n');
    let n = 0;
    timer = setInterval(() => socket.write(`X-Slow-${n++}: ${'a'.repeat(10)}\r\n`), 200);
  });
  const closed = new Promise<{ reply: string; afterMs: number }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ reply, afterMs: Date.now() - started });
    }),
  );
  socket.on('error', () => undefined);
  return { closed, stop: () => socket.destroy() };
}

describe('API: timeouts and connection cap (integration)', function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let port: number;

  before(async () => {
    api = await startApi({ HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: '3000', HTTP_MAX_CONNECTIONS: '60' });
    port = (api.server.address() as AddressInfo).port;
  });
  after(() => api?.close());

  it('a client dribbling its headers is closed at the headers timeout while other clients are answered', async () => {
    const slow = Array.from({ length: 20 }, () => slowHeaders(port));
    try {
      // While the slow sockets are open, other clients keep getting answers.
      const statuses: number[] = [];
      const until = Date.now() + HEADERS_TIMEOUT_MS;
      while (Date.now() < until) {
        const batch = await Promise.all(Array.from({ length: 10 }, () => api.http.get('/Zabsent12').then((r) => r.status)));
        statuses.push(...batch);
      }
      assert.ok(statuses.length >= 10 && statuses.every((s) => s === 404), `answers while slow clients wait: ${statuses.join(',')}`);
      const results = await Promise.all(slow.map((s) => s.closed));
      for (const { reply, afterMs } of results) {
        assert.match(reply, /^HTTP\/1\.1 408 /, 'the server answers 408 Request Timeout');
        // Node checks timeouts on an interval; without the limit the socket would stay open for 60 s.
        assert.ok(afterMs < HEADERS_TIMEOUT_MS * 3, `closed after ${afterMs} ms`);
      }
    } finally {
      slow.forEach((s) => s.stop());
    }
  });

  it('sockets beyond HTTP_MAX_CONNECTIONS are closed at once and the others still served', async () => {
    const connections = () => new Promise<number>((resolve) => api.server.getConnections((_err, n) => resolve(n)));
    const held: net.Socket[] = [];
    try {
      // Idle sockets up to the cap.
      for (let i = 0; i < 60; i++) {
        const s = net.connect({ host: '127.0.0.1', port });
        s.on('error', () => undefined);
        await new Promise((resolve) => s.once('connect', resolve));
        held.push(s);
      }
      await waitUntil(async () => (await connections()) >= 60, { timeoutMs: 5000, intervalMs: 20 });
      const extra = net.connect({ host: '127.0.0.1', port });
      extra.on('error', () => undefined);
      const reply = await new Promise<string>((resolve) => {
        let data = '';
        extra.on('data', (d) => (data += d.toString()));
        extra.on('connect', () => extra.write('GET /Zabsent12 HTTP/1.1\r\nHost: x\r\n\r\n'));
        extra.on('close', () => resolve(data));
      });
      assert.equal(reply, '', 'a socket over the cap is closed without an answer');
      // A held socket is a real connection: it still gets its answer.
      const answer = await new Promise<string>((resolve) => {
        held[0].once('data', (d) => resolve(d.toString()));
        held[0].write('GET /Zabsent12 HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      assert.match(answer, /^HTTP\/1\.1 404 /);
    } finally {
      held.forEach((s) => s.destroy());
    }
    await waitUntil(async () => (await connections()) < 60, { timeoutMs: 5000, intervalMs: 20 });
    assert.equal((await api.http.get('/Zabsent12')).status, 404, 'served again once sockets are released');
  });
});
