/**
 * The API process end to end: api/server.ts started as a child on the test database, JSON logs carrying the
 * request id, and SIGTERM draining a request still in flight and sending its clicks to Kafka before a clean
 * exit, where a counting group of this test's own (in this process) aggregates them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { eventually, randomCode } from '../helpers/api';
import { clickCounterEnv, startClickCounter, type ClickCounter } from '../helpers/click-counter';
import { waitUntil } from '../helpers/processes';
import { testConfig, testDatabaseUrl, uniqueSuffix } from '../helpers/test-config';

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function request(port: number, method: string, urlPath: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: { 'Content-Type': 'application/json' } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('API process: logs and graceful shutdown (integration)', function () {
  this.timeout(60_000);
  const clickEnv = clickCounterEnv(`shutdown_${uniqueSuffix()}`);
  let child: ChildProcess | undefined;
  let counter: ClickCounter | undefined;

  before(async () => {
    counter = await startClickCounter(testConfig(clickEnv));
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await counter?.close();
  });

  it('logs JSON with request ids, drains an in-flight request on SIGTERM, flushes clicks and exits 0', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: testDatabaseUrl(),
        PORT: String(port),
        LOG_LEVEL: 'info',
        RATE_LIMIT_ENABLED: 'false',
        QUEUE_PREFIX: `test-shutdown-${randomCode(8)}`,
        KEYGEN_REFILL_TIMEOUT_MS: '100',
        ...clickEnv,
        // Clicks stay in the API's memory until the shutdown sends them: only that flush can deliver them.
        CLICK_PRODUCER_LINGER_MS: '600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

    assert.ok(await eventually(() => stdout.includes('api listening'), 30_000), `did not start: ${stderr}`);
    const created = await request(port, 'POST', '/api/shorten', JSON.stringify({ url: 'https://example.com/shutdown' }));
    assert.equal(created.status, 201, created.text);
    const code = (JSON.parse(created.text) as { short_code: string }).short_code;
    for (let i = 0; i < 3; i++) assert.equal((await request(port, 'GET', `/${code}`)).status, 307);
    assert.ok(counter);
    const clicks = counter;
    // Everything already on the topic is aggregated, yet none of the three: they are still in memory.
    await clicks.settle();
    assert.equal(await clicks.clicks(code), 0, 'clicks held by the producer until shutdown');

    // A create whose body is still arriving when SIGTERM comes must complete.
    const slow = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/shorten', headers: { 'Content-Type': 'application/json' } });
    const slowDone = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      slow.on('error', reject);
    });
    slow.write('{"url": "https://example.com/');
    await new Promise((resolve) => setTimeout(resolve, 200));
    proc.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    slow.end('in-flight"}');
    assert.equal(await slowDone, 201, 'the in-flight request was drained, not cut');
    assert.equal(await exited, 0, stderr);

    const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
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
      10_000,
      () => `clicks after shutdown: ${total}`,
      100,
    );
    await clicks.settle();
    assert.equal(await clicks.clicks(code), 3, 'clicks sent at shutdown, counted once');
  });
});
