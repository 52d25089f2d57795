/**
 * The API probed as a hostile client would: invented methods and paths never add a metric series, methods
 * a path does not take are 405 with Allow, named routes are exact, and every response carries the security
 * headers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../../observability/metrics';
import { startApi, type ApiHarness } from '../helpers/api';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const JUNK = `${ALNUM}-._~%!$&'()*+,;=:@`;
const rand = (alphabet: string, min: number, max: number) => {
  const n = min + Math.floor(Math.random() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
};
const randomCase = (s: string) => [...s].map((c) => (Math.random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');

/**
 * Kinds of paths a client invents; each kind always lands on the same route and status for a given method,
 * so one request per method and kind reaches every label combination random requests can reach.
 */
const PATH_KINDS: Record<string, () => string> = {
  code: () => `/Z${rand(ALNUM, 7, 12)}`,
  junk: () => `/-${rand(JUNK, 0, 40)}`,
  deep: () => `/x${rand(ALNUM, 0, 5)}/${rand(JUNK, 1, 20)}/${rand(ALNUM, 1, 20)}`,
  stats: () => `/api/stats/Z${rand(ALNUM, 5, 12)}`,
  shorten: () => `/api/shorten?${rand(ALNUM, 0, 10)}=${rand(JUNK, 0, 10)}`,
  admin: () => `/admin/queues/${rand(ALNUM, 1, 20)}`,
  // Named routes in another case (first letter upper) are taken as reserved, never existing codes: 404 on GET.
  named: () => {
    const name = randomCase(['health', 'metrics', 'docs', 'ready', 'openapi'][Math.floor(Math.random() * 5)]);
    return `/${name[0].toUpperCase()}${name.slice(1)}`;
  },
  trailing: () => `/${['health', 'metrics', 'docs', 'ready', 'openapi.json'][Math.floor(Math.random() * 5)]}/${rand(ALNUM, 0, 3)}`,
  docs: () => `/docs?${rand(ALNUM, 0, 10)}=${rand(JUNK, 0, 10)}`,
};
// CONNECT opens a tunnel rather than asking for a resource; Node hands it to a separate event.
const METHODS = http.METHODS.filter((m) => m !== 'CONNECT');

/** Series of the app's own metrics: Node's runtime metrics (GC kinds, handle types) vary with the runtime, not with clients. */
async function series(): Promise<Set<string>> {
  const text = await registry.metrics();
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#') && !/^(nodejs_|process_)/.test(l)).map((l) => l.replace(/ [^ ]+$/, '')));
}

/** One request over a fresh connection, with any method Node can send. */
function request(port: number, method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function send(agent: http.Agent, port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API: hardening against invented requests (integration)', function () {
  this.timeout(120_000);
  let api: ApiHarness;
  let port: number;

  before(async () => {
    api = await startApi();
    port = (api.server.address() as AddressInfo).port;
  });
  after(() => api?.close());

  it('10,000 requests with random methods and paths leave the number of metric series unchanged', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    try {
      // Every method on every kind of path once: all the label combinations a client can reach.
      for (const method of METHODS) for (const kind of Object.values(PATH_KINDS)) await send(agent, port, method, kind());
      const before = await series();
      const kinds = Object.values(PATH_KINDS);
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < 10_000) {
          next++;
          const method = METHODS[Math.floor(Math.random() * METHODS.length)];
          const status = await send(agent, port, method, kinds[Math.floor(Math.random() * kinds.length)]());
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      assert.ok(!statuses.has(500) && !statuses.has(501), `no 5xx: ${JSON.stringify([...statuses])}`);
      assert.ok((statuses.get(405) ?? 0) > 1000, `405s answered: ${JSON.stringify([...statuses])}`);
      const after = await series();
      const added = [...after].filter((s) => !before.has(s));
      assert.deepEqual(added, [], 'series added by invented requests');
      assert.equal(after.size, before.size);
    } finally {
      agent.destroy();
    }
  });

  it('a method a path does not take is 405 with Allow, including methods no route knows; OPTIONS lists them', async () => {
    for (const [method, path, allow] of [
      ['TRACE', '/health', 'GET, HEAD'],
      ['QUERY', '/abc1234', 'GET, HEAD'],
      ['PROPFIND', '/api/shorten', 'POST'],
      ['DELETE', '/api/stats/abc1234', 'GET, HEAD'],
      ['POST', '/abc1234', 'GET, HEAD'],
      ['TRACE', '/no/such/route', ''],
    ] as const) {
      if (!http.METHODS.includes(method)) continue;
      const res = await request(port, method, path);
      assert.equal(res.status, 405, `${method} ${path}: ${res.status}`);
      assert.equal(res.headers.allow, allow, `${method} ${path}`);
      assert.deepEqual(JSON.parse(res.body), { detail: 'Method not allowed' });
    }
    const options = await api.http.options('/api/shorten');
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, 'POST');
    assert.equal((await api.http.get('/no/such/route')).status, 404);
  });

  it('named routes are exact and case-sensitive', async () => {
    for (const path of ['/Metrics', '/metrics/', '/HEALTH', '/Health', '/health/', '/DOCS', '/docs/', '/Ready', '/OpenAPI.json', '/API/shorten', '/api/Stats/abc1234', '/api/stats/abc1234/']) {
      const res = await api.http.get(path);
      assert.equal(res.status, 404, `GET ${path}: ${res.status}`);
      assert.equal(typeof res.body.detail, 'string', path);
    }
    assert.equal((await api.http.get('/docs')).status, 200);
    assert.equal((await api.http.get('/openapi.json')).status, 200);
    assert.equal((await api.http.post('/API/shorten').send({ url: 'https://example.com/' })).status, 404);
  });

  it('every response carries the security headers; /docs and Bull Board cannot be framed', async () => {
    const code = (await api.http.post('/api/shorten').send({ url: 'https://example.com/headers' })).body.short_code as string;
    const responses = await Promise.all([
      api.http.get(`/${code}`).redirects(0),
      api.http.head(`/${code}`).redirects(0),
      api.http.get('/Zmissing1'),
      api.http.get('/api/stats/Zmissing1'),
      api.http.post('/api/shorten').send({ url: 'not a url' }),
      api.http.get('/health'),
      api.http.get('/docs'),
      api.http.get('/admin/queues'),
      api.http.delete('/health'),
    ]);
    for (const [i, res] of responses.entries()) {
      const what = `response ${i}: ${res.status}`;
      assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, what);
      assert.equal(res.headers['x-frame-options'], 'DENY', what);
      assert.equal(res.headers['x-powered-by'], undefined, what);
    }
    assert.equal(responses[0].status, 307);
    // A redirect keeps the visitor's referrer for the target: no Referrer-Policy.
    assert.equal(responses[0].headers['referrer-policy'], undefined);
    assert.equal(responses[7].status, 401);
    assert.match(String(responses[7].headers['content-security-policy']), /script-src 'self'/);
  });

  it('/metrics is not on the public port unless METRICS_TOKEN is set, and then only with the token', async () => {
    assert.equal((await api.http.get('/metrics')).status, 404);
    const token = `t-${Date.now()}`;
    const guarded = await startApi({ METRICS_TOKEN: token });
    try {
      assert.equal((await guarded.http.get('/metrics')).status, 401);
      assert.equal((await guarded.http.get('/metrics').set('Authorization', 'Bearer wrong')).status, 401);
      const ok = await guarded.http.get('/metrics').set('Authorization', `Bearer ${token}`);
      assert.equal(ok.status, 200);
      assert.match(ok.text, /^http_requests_total\{/m);
    } finally {
      await guarded.close();
    }
  });
});
