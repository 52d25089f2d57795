/**
 * The create fast path (api/routes/shorten-fast.ts) answers POST /api/shorten exactly as the Koa route does.
 * Each case is sent twice to one server built like the production handler: to `/api/shorten`, which the fast
 * path takes, and to `/api/shorten?via=koa`, which it leaves to Koa (a query string is not its exact path)
 * while Koa routes it to the same route. Status, body and headers must match. The Koa callback is wrapped to
 * record what reaches it, so each test also shows which path answered: requests the fast path does not take
 * (other content types, encodings, chunked or oversized bodies, missing or invalid keys) must reach Koa.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { createHttpServer } from '../../api/http-server';
import { createShortener } from '../../api/routes/link-create';
import { createRedirectHandler } from '../../api/routes/redirect';
import { createShortenHandler } from '../../api/routes/shorten-fast';
import { findLinkByCode } from '../../db/links';
import { httpRequests } from '../../observability/metrics';
import { TEST_BASE_URL, randomCode, startApi, type ApiHarness } from '../helpers/api';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: unknown;
}

interface Spied {
  api: ApiHarness;
  /** URLs of the requests that reached Koa, in order. */
  handed: string[];
  send(path: string, body: string | Buffer | undefined, headers?: Record<string, string>, chunked?: boolean): Promise<Answer>;
  close(): Promise<void>;
}

/** The production composition (redirect handler, fast path, Koa) over a started API's deps, Koa wrapped to record. */
async function startSpied(overrides: Record<string, string>): Promise<Spied> {
  const api = await startApi(overrides);
  const { deps } = api.runtime;
  const shortener = createShortener(deps);
  const app = createApp(deps, shortener).callback();
  const handed: string[] = [];
  const koa: RequestListener = (req, res) => {
    handed.push(req.url ?? '');
    void app(req, res);
  };
  const redirect = createRedirectHandler(deps);
  const shorten = createShortenHandler(deps, shortener, koa);
  const server: Server = createHttpServer(api.config, (req, res) => {
    if (!redirect(req, res) && !shorten(req, res)) koa(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const send: Spied['send'] = (path, body, headers = {}, chunked = false) =>
    new Promise((resolve, reject) => {
      const all: Record<string, string | number> = { 'Content-Type': 'application/json', Host: 'api.example.test', ...headers };
      if (!chunked && body !== undefined) all['Content-Length'] = Buffer.byteLength(body);
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: all, agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      });
      req.on('error', reject);
      if (chunked && body !== undefined) {
        // Two writes without Content-Length: Transfer-Encoding chunked.
        const text = body.toString();
        req.write(text.slice(0, 5));
        req.end(text.slice(5));
      } else req.end(body);
    });
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await api.close();
  };
  return { api, handed, send, close };
}

// Per-response values: the date, the connection's own headers, and what depends on the created row.
const VARYING = new Set(['date', 'connection', 'keep-alive', 'x-request-id', 'content-length', 'ratelimit-remaining']);
const comparable = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).filter(([k]) => !VARYING.has(k)).sort());
/** A 201 body with the row's own values (id, code, times) replaced by their types. */
const shapeOf = (body: unknown): unknown =>
  Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, ['id', 'short_code', 'short_url', 'created_at', 'updated_at'].includes(k) ? typeof v : v]));

/** Asserts that the fast answer and Koa's match: status, headers (all but the varying ones) and body. */
function assertSameAnswer(fast: Answer, koa: Answer, created = false): void {
  assert.equal(fast.status, koa.status, `fast ${fast.text} / koa ${koa.text}`);
  assert.deepEqual(comparable(fast.headers), comparable(koa.headers));
  assert.ok(fast.headers['x-request-id'], 'a request id');
  if (created) assert.deepEqual(shapeOf(fast.body), shapeOf(koa.body));
  else assert.equal(fast.text, koa.text);
}

const json = (value: unknown) => JSON.stringify(value);
const FAST = '/api/shorten';
const KOA = '/api/shorten?via=koa';

describe('API: the create fast path answers like the Koa route (integration)', function () {
  this.timeout(60_000);

  describe('open mode', () => {
    let s: Spied;
    before(async () => {
      s = await startSpied({});
    });
    after(() => s?.close());

    /** Sends the same request both ways; asserts the first took the fast path and the second reached Koa. */
    async function both(body: string | undefined, headers: Record<string, string> = {}): Promise<[Answer, Answer]> {
      s.handed.length = 0;
      const fast = await s.send(FAST, body, headers);
      const koa = await s.send(KOA, body, headers);
      assert.deepEqual(s.handed, [KOA], 'only the request with a query string reached Koa');
      return [fast, koa];
    }

    it('a good create is the same 201 (seed body and full body) with the same headers, counted under the route', async () => {
      const count201 = async () => (await httpRequests.get()).values.find((v) => v.labels.route === FAST && v.labels.status === '201' && v.labels.method === 'POST')?.value ?? 0;
      const before = await count201();
      const [fast, koa] = await both(json({ url: 'https://example.com/fast' }));
      assert.equal(fast.status, 201);
      assertSameAnswer(fast, koa, true);
      assert.equal((fast.body as { short_url: string }).short_url, `${TEST_BASE_URL}/${(fast.body as { short_code: string }).short_code}`);
      assert.equal((await findLinkByCode(s.api.runtime.deps.db, (fast.body as { short_code: string }).short_code))?.originalUrl, 'https://example.com/fast');
      const full = { url: 'https://example.com/full', tags: ['a', 'a', 'b'], title: 'T', max_visits: 3, forward_query: false };
      const [fastFull, koaFull] = await both(json(full), { 'Content-Type': 'application/json; charset=utf-8' });
      assert.equal(fastFull.status, 201);
      assert.deepEqual((fastFull.body as { tags: string[] }).tags, ['a', 'b']);
      assertSameAnswer(fastFull, koaFull, true);
      assert.equal((await count201()) - before, 4, 'both paths count their 201s under POST /api/shorten');
    });

    it('keeps a sane X-Request-Id from the client, like Koa', async () => {
      const [fast, koa] = await both(json({ url: 'https://example.com/rid' }), { 'X-Request-Id': 'client-id-1' });
      assert.equal(fast.headers['x-request-id'], 'client-id-1');
      assert.equal(koa.headers['x-request-id'], 'client-id-1');
    });

    it('malformed JSON, bad UTF-8 and an empty body are the same 400/422', async () => {
      for (const body of ['{"url":', '[1,2', '']) {
        const [fast, koa] = await both(body);
        assert.ok([400, 422].includes(fast.status), fast.text);
        assertSameAnswer(fast, koa);
      }
      s.handed.length = 0;
      const bad = Buffer.from([0x7b, 0xff, 0x7d]);
      const fast = await s.send(FAST, bad);
      const koa = await s.send(KOA, bad);
      assert.equal(fast.status, 400);
      assertSameAnswer(fast, koa);
    });

    it('invalid bodies are the same 422 with the same field errors, and write nothing', async () => {
      const code = randomCode(12);
      const cases = [
        { url: 'not-a-url', custom_code: code },
        { url: '', custom_code: code },
        { url: 'https://example.com/x', custom_code: 'ab' },
        { url: 'https://example.com/x', custom_code: 'my-code!' },
        { url: 'https://example.com/x', custom_code: 'api' },
        { url: 'https://example.com/x', custom_code: code, colour: 'red' },
        { url: `${TEST_BASE_URL}/loop`, custom_code: code },
        { url: 'http://api.example.test/loop', custom_code: code },
        { url: 'https://example.com/x', custom_code: code, max_visits: 0 },
        [{ url: 'https://example.com/x' }],
        'just a string',
      ];
      for (const c of cases) {
        const [fast, koa] = await both(json(c));
        assert.equal(fast.status, 422, fast.text);
        assertSameAnswer(fast, koa);
      }
      assert.equal(await findLinkByCode(s.api.runtime.deps.db, code), null);
    });

    it('a taken custom code is the same 409 whichever path created it', async () => {
      const first = randomCode(12);
      const second = randomCode(12);
      assert.equal((await s.send(FAST, json({ url: 'https://example.com/1', custom_code: first }))).status, 201);
      assert.equal((await s.send(KOA, json({ url: 'https://example.com/2', custom_code: second }))).status, 201);
      for (const code of [first, second]) {
        const [fast, koa] = await both(json({ url: 'https://example.com/again', custom_code: code }));
        assert.deepEqual([fast.status, fast.body], [409, { detail: `Custom code '${code}' is already taken` }]);
        assertSameAnswer(fast, koa);
      }
    });

    it('what the fast path does not take reaches Koa untouched and gets the route\'s answer', async () => {
      const body = json({ url: 'https://example.com/koa' });
      const cases: Array<{ headers: Record<string, string>; status: number; body?: string; chunked?: boolean }> = [
        { headers: { 'Content-Type': 'text/plain' }, status: 415 },
        { headers: { 'Content-Type': 'application/json; charset=latin1' }, status: 415 },
        { headers: { 'Content-Encoding': 'gzip' }, status: 415 },
        { headers: {}, status: 413, body: json({ url: `https://example.com/${'a'.repeat(17_000)}` }) },
        { headers: { 'Content-Type': 'application/vnd.api+json' }, status: 201 },
        { headers: {}, status: 201, chunked: true },
        { headers: { Host: 'a.example, b.example' }, status: 201 },
      ];
      for (const c of cases) {
        s.handed.length = 0;
        const answer = await s.send(FAST, c.body ?? body, c.headers, c.chunked);
        assert.equal(answer.status, c.status, `${JSON.stringify(c.headers)}: ${answer.text}`);
        assert.deepEqual(s.handed, [FAST], `${JSON.stringify(c.headers)} reached Koa`);
      }
      s.handed.length = 0;
      const get = await new Promise<number>((resolve, reject) => {
        http.get(`http://127.0.0.1:${(s.api.server.address() as AddressInfo).port}/api/shorten`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(get, 405, 'GET /api/shorten is still the method guard\'s 405');
    });
  });

  describe('with API keys, and with the create limit behind a proxy', () => {
    const key = `fast-key-${randomCode(16)}`;
    let keyed: Spied;
    let limited: Spied;
    before(async () => {
      [keyed, limited] = await Promise.all([
        startSpied({ API_KEYS: key }),
        startSpied({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_CREATES_PER_MINUTE: '3', TRUST_PROXY: 'true' }),
      ]);
    });
    after(() => Promise.all([keyed?.close(), limited?.close()]));

    it('a missing or invalid key reaches Koa and is its 401; a valid key is served by the fast path', async () => {
      const body = json({ url: 'https://example.com/keyed' });
      for (const headers of [{}, { 'X-API-Key': 'wrong' }, { Authorization: 'Bearer wrong' }, { Authorization: 'Basic !!' }] as Array<Record<string, string>>) {
        keyed.handed.length = 0;
        const answer = await keyed.send(FAST, body, headers);
        assert.equal(answer.status, 401, answer.text);
        assert.equal(answer.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(keyed.handed, [FAST]);
      }
      for (const headers of [{ 'X-API-Key': key }, { Authorization: `Bearer ${key}` }] as Array<Record<string, string>>) {
        keyed.handed.length = 0;
        const ok = await keyed.send(FAST, body, headers);
        assert.equal(ok.status, 201, ok.text);
        assert.deepEqual(keyed.handed, [], 'the valid key was served without Koa');
      }
    });

    it('the limit keys on the proxied client address on both paths, and over it both answer the same 429', async () => {
      const client = `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join('.')}`;
      // What the proxy forwards: whatever the client wrote, then the address it saw.
      const via = (spoofed: string) => ({ 'X-Forwarded-For': `${spoofed}, ${client}` });
      const body = json({ url: 'https://example.com/limited' });
      assert.equal((await limited.send(KOA, body, via('1.1.1.1'))).status, 201);
      const second = await limited.send(FAST, body, via('2.2.2.2'));
      assert.deepEqual([second.status, second.headers['ratelimit-limit'], second.headers['ratelimit-remaining']], [201, '3', '1']);
      assert.equal((await limited.send(FAST, body, via('3.3.3.3'))).headers['ratelimit-remaining'], '0');
      limited.handed.length = 0;
      const fast = await limited.send(FAST, body, via('4.4.4.4'));
      const koa = await limited.send(KOA, body, via('5.5.5.5'));
      assert.deepEqual(limited.handed, [KOA]);
      assert.deepEqual([fast.status, fast.body], [429, { detail: 'Too many requests' }]);
      assert.ok(Number(fast.headers['retry-after']) >= 1);
      assert.equal(fast.headers['ratelimit-remaining'], '0');
      assertSameAnswer(fast, koa);
    });
  });
});
