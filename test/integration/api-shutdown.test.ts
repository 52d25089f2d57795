/**
 * The API process end to end: api/server.ts started as a child on the test database, JSON logs carrying the
 * request id, and SIGTERM draining a request still in flight and flushing clicks before a clean exit.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRedis } from '../../infra/clients';
import { eventually, randomCode } from '../helpers/api';
import { testConfig, testDatabaseUrl } from '../helpers/test-config';

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
  const prefix = `test_shutdown_${randomCode(8)}`;
  const config = testConfig({ CLICK_BUFFER_KEY_PREFIX: prefix });
  let child: ChildProcess | undefined;

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    const redis = createRedis(config, 'cache', undefined, { enableOfflineQueue: true });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
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
        CLICK_BUFFER_KEY_PREFIX: prefix,
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

    const redis = createRedis(config, 'cache', undefined, { enableOfflineQueue: true });
    try {
      assert.equal(await redis.get(`${prefix}:${code}`), '3', 'clicks flushed before exit');
    } finally {
      await redis.quit();
    }
  });
});
