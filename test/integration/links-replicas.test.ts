/**
 * Three real API processes on one database and cache Redis: a visit limit is exact across them (200
 * concurrent redirects to a link with max_visits 50 give exactly 50 307s), and an edit or delete made through
 * one reaches the in-process caches of all three within 100 ms (asserted with a poll loop of that deadline).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, startProcess, type Child } from '../../infra/child';
import { TEST_SHORT_CODE_KEY } from '../../infra/config';
import { processDef } from '../../infra/processes';
import { randomCode } from '../helpers/api';
import { clickCounterEnv } from '../helpers/click-counter';
import { testDatabaseUrl, uniqueSuffix } from '../helpers/test-config';

const EDIT_DEADLINE_MS = 100;

interface Reply {
  status: number;
  location?: string;
  text: string;
}

function request(port: number, method: string, path: string, body?: object, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent, headers: payload ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('links API across three API processes (integration)', function () {
  this.timeout(180_000);
  const procs: Child[] = [];
  const ports: number[] = [];

  before(async () => {
    const prefix = `test-replicas-${uniqueSuffix()}`;
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    const started = await Promise.all(
      ports.map((port, i) =>
        startProcess(processDef('api'), {
          name: `api-${i}`,
          env: {
            NODE_ENV: 'test',
            DATABASE_URL: testDatabaseUrl(),
            PORT: String(port),
            BASE_URL: 'http://sho.rt',
            SHORT_CODE_KEY: TEST_SHORT_CODE_KEY,
            RATE_LIMIT_ENABLED: 'false',
            ...clickCounterEnv(prefix.replace(/-/g, '_')),
          },
          timeoutMs: 120_000,
        }),
      ),
    );
    procs.push(...started);
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 20_000)));
  });

  it('200 concurrent redirects spread over 3 processes to a link with max_visits 50: exactly 50 are 307', async () => {
    const code = randomCode(12);
    const created = await request(ports[0], 'POST', '/api/shorten', { url: 'https://example.com/race', custom_code: code, max_visits: 50 });
    assert.equal(created.status, 201, created.text);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    try {
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => request(ports[i % 3], 'GET', `/${code}`, undefined, agent)));
      const count = (s: number) => replies.filter((r) => r.status === s).length;
      assert.deepEqual({ 307: count(307), 410: count(410) }, { 307: 50, 410: 150 }, JSON.stringify(replies.filter((r) => r.status !== 307 && r.status !== 410)));
      for (const r of replies.filter((x) => x.status === 410)) assert.deepEqual(JSON.parse(r.text), { detail: 'Short URL reached its visit limit' });
    } finally {
      agent.destroy();
    }
    const link = await request(ports[1], 'GET', `/api/links/${code}`);
    assert.equal(JSON.parse(link.text).visits, 50);
  });

  it('an edit, then a delete, made through one process reaches every process within 100 ms', async () => {
    const code = randomCode(12);
    assert.equal((await request(ports[0], 'POST', '/api/shorten', { url: 'https://example.com/before', custom_code: code })).status, 201);
    // Every process caches the link in its LRU (a second GET is then answered from it).
    for (const port of ports) for (let i = 0; i < 2; i++) assert.equal((await request(port, 'GET', `/${code}`)).location, 'https://example.com/before');

    const waitAll = async (ok: (r: Reply) => boolean, what: string, since: number) => {
      const pending = new Set(ports);
      const lastSeen = new Map<number, string>();
      while (pending.size > 0 && Date.now() - since <= EDIT_DEADLINE_MS) {
        await Promise.all(
          [...pending].map(async (port) => {
            const r = await request(port, 'GET', `/${code}`);
            lastSeen.set(port, `${r.status} ${r.location ?? ''}`);
            if (ok(r)) pending.delete(port);
          }),
        );
      }
      assert.equal(pending.size, 0, `${what} not seen within ${EDIT_DEADLINE_MS} ms by ${[...pending].map((p) => `${p}: ${lastSeen.get(p)}`).join(', ')}`);
    };

    const edited = await request(ports[1], 'PATCH', `/api/links/${code}`, { url: 'https://example.com/after' });
    const editedAt = Date.now();
    assert.equal(edited.status, 200, edited.text);
    await waitAll((r) => r.location === 'https://example.com/after', 'the edit', editedAt);

    const deleted = await request(ports[2], 'DELETE', `/api/links/${code}`);
    const deletedAt = Date.now();
    assert.equal(deleted.status, 204);
    await waitAll((r) => r.status === 404, 'the delete', deletedAt);
  });
});
