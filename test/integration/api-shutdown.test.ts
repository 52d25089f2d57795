/**
 * The API process end to end: api/server.ts started as a child on the test database, JSON logs carrying the
 * request id, and SIGTERM draining a request still in flight and sending its clicks to Kafka before a clean
 * exit, where a counting group of this test's own (in this process) aggregates them.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, startProcess, type Child } from '../../infra/child';
import { processDef } from '../../infra/processes';
import { waitUntil } from '../../infra/wait';
import { clickCounterEnv, startClickCounter, type ClickCounter } from '../helpers/click-counter';
import { httpRequest } from '../helpers/http-request';
import { testConfig, testDatabaseUrl, uniqueSuffix } from '../helpers/test-config';

const request = (port: number, method: string, urlPath: string, body?: string) => httpRequest(`http://127.0.0.1:${port}${urlPath}`, { method, body });

describe('API process: logs and graceful shutdown (integration)', function () {
  this.timeout(60_000);
  const clickEnv = clickCounterEnv(`shutdown_${uniqueSuffix()}`);
  let child: Child | undefined;
  let counter: ClickCounter | undefined;

  before(async () => {
    counter = await startClickCounter(testConfig(clickEnv));
  });
  after(async () => {
    await child?.stop('SIGKILL');
    await counter?.close();
  });

  it('logs JSON with request ids, drains an in-flight request on SIGTERM, flushes clicks and exits 0', async () => {
    const port = await freePort();
    const proc = await startProcess(processDef('api'), {
      env: {
        DATABASE_URL: testDatabaseUrl(),
        PORT: String(port),
        // 'link created' is a debug line (one per create would flood a busy log).
        LOG_LEVEL: 'debug',
        RATE_LIMIT_ENABLED: 'false',
        ...clickEnv,
        // Clicks stay in the API's memory until the shutdown sends them: only that flush can deliver them.
        CLICK_PRODUCER_LINGER_MS: '600000',
      },
      timeoutMs: 30_000,
    });
    child = proc;
    const created = await request(port, 'POST', '/api/shorten', JSON.stringify({ url: 'https://example.com/shutdown' }));
    assert.equal(created.status, 201, created.text);
    const code = (JSON.parse(created.text) as { short_code: string }).short_code;
    for (let i = 0; i < 3; i++) assert.equal((await request(port, 'GET', `/${code}`)).status, 307);
    assert.ok(counter);
    const clicks = counter;
    // Everything already on the topic is aggregated, yet none of the three: they are still in memory.
    await clicks.settle();
    assert.equal(await clicks.clicks(code), 0, 'clicks held by the producer until shutdown');

    // A create whose body is still arriving when SIGTERM comes must complete. `Expect: 100-continue` makes
    // the server answer once it has parsed the headers: from then on the request is in flight, not idle.
    const slow = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/shorten',
      headers: { 'Content-Type': 'application/json', Expect: '100-continue' },
    });
    const inFlight = new Promise<void>((resolve) => slow.once('continue', () => resolve()));
    const slowDone = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      slow.on('error', reject);
    });
    slow.flushHeaders();
    await inFlight;
    slow.write('{"url": "https://example.com/');
    proc.proc.kill('SIGTERM');
    // The drain has begun once the process logs it; only then does the rest of the body arrive.
    await proc.waitForLine(/"msg":"shutting down"/, 10_000);
    slow.end('in-flight"}');
    assert.equal(await slowDone, 201, 'the in-flight request was drained, not cut');
    assert.equal(await proc.exited, 0, proc.tail());

    const lines = proc.grep(/^\{/).map((l) => JSON.parse(l) as Record<string, unknown>);
    const createdLog = lines.find((l) => l.msg === 'link created' && l.code === code);
    assert.ok(createdLog && typeof createdLog.reqId === 'string', 'create logged with its request id');
    assert.ok(lines.some((l) => l.msg === 'shutdown complete'));

    // The three clicks left with the process, through Kafka to the counting group: none lost, none twice.
    let total: number | null = null;
    await waitUntil(
      async () => {
        total = await clicks.clicks(code);
        assert.ok(total !== null && total <= 3, `clicks ${total} after shutdown`);
        return total === 3;
      },
      { timeoutMs: 10_000, intervalMs: 100, describe: () => `clicks after shutdown: ${total}` },
    );
    await clicks.settle();
    assert.equal(await clicks.clicks(code), 3, 'clicks sent at shutdown, counted once');
  });
});
