/** The seed's black-box behaviours of the link API, against the real runtime (PostgreSQL, Redis, keygen). */
import assert from 'node:assert/strict';
import { insertLink } from '../../db/links';
import { createCodec } from '../../queues/keygen/codec';
import { expectClicks, randomCode, startApi, TEST_BASE_URL, type ApiHarness } from '../helpers/api';
import { dropAllocatorKey } from '../helpers/keygen';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('API: links, redirects and stats (integration)', function () {
  this.timeout(30_000);
  let api: ApiHarness;

  before(async () => {
    api = await startApi({}, { counter: true });
  });
  after(() => api?.close());

  const shorten = (body: unknown) => api.http.post('/api/shorten').send(body as object);

  it('a valid create is 201 with a 7-character code, clicks 0 and the seed link body', async () => {
    const url = `https://example.com/path?run=${randomCode()}`;
    const res = await shorten({ url });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const body = res.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'clicks', 'created_at', 'id', 'original_url', 'short_code', 'short_url', 'updated_at',
    ]);
    assert.match(String(body.short_code), /^[0-9a-zA-Z]{7}$/);
    assert.equal(body.original_url, url);
    assert.equal(body.short_url, `${TEST_BASE_URL}/${String(body.short_code)}`);
    assert.equal(body.clicks, 0);
    assert.equal(typeof body.id, 'number');
    assert.match(String(body.created_at), RFC3339_UTC);
    assert.match(String(body.updated_at), RFC3339_UTC);
  });

  it('"not-a-url" and "" are 422 with a list of field errors', async () => {
    for (const url of ['not-a-url', '']) {
      const res = await shorten({ url });
      assert.equal(res.status, 422, url);
      const detail = (res.body as { detail: Array<{ loc: string[]; msg: string }> }).detail;
      assert.ok(Array.isArray(detail) && detail.length > 0);
      assert.deepEqual(detail[0].loc, ['body', 'url']);
    }
  });

  it('a custom code is 201; taking it again is 409 with the exact message', async () => {
    const code = randomCode(10);
    const first = await shorten({ url: 'https://example.com/custom', custom_code: code });
    assert.equal(first.status, 201);
    assert.equal((first.body as { short_code: string }).short_code, code);
    const again = await shorten({ url: 'https://example.com/other', custom_code: code });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { detail: `Custom code '${code}' is already taken` });
  });

  it('"ab", 21 characters, "my-code!" and reserved words are 422', async () => {
    for (const custom_code of ['ab', 'a'.repeat(21), 'my-code!', 'health', 'Docs']) {
      const res = await shorten({ url: 'https://example.com', custom_code });
      assert.equal(res.status, 422, custom_code);
    }
  });

  it('three creates give three distinct codes', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await shorten({ url: `https://example.com/${i}` });
      assert.equal(res.status, 201);
      codes.add((res.body as { short_code: string }).short_code);
    }
    assert.equal(codes.size, 3);
  });

  it('a redirect is 307 with Location exactly the stored URL and an empty body; HEAD too', async () => {
    const url = "https://example.com/a/b?q=1&r=%2F%20x#frag-'|{}";
    const code = (await shorten({ url })).body.short_code as string;
    const res = await api.http.get(`/${code}`).redirects(0);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, url);
    assert.equal(res.text ?? '', '');
    assert.equal(res.headers['content-length'], '0');
    const head = await api.http.head(`/${code}`).redirects(0);
    assert.equal(head.status, 307);
    assert.equal(head.headers.location, url);
    // Answered by the server's redirect handler, in front of Koa: none of Koa's middleware ran for it.
    assert.equal(res.headers['x-request-id'], undefined);
    assert.ok((await api.http.get('/health')).headers['x-request-id'], 'a Koa route sets X-Request-Id');
  });

  it('a non-ASCII URL is stored percent-encoded and redirects to exactly that', async () => {
    const res = await shorten({ url: 'https://example.com/café' });
    assert.equal(res.status, 201);
    assert.equal(res.body.original_url, 'https://example.com/caf%C3%A9');
    const hop = await api.http.get(`/${res.body.short_code as string}`).redirects(0);
    assert.equal(hop.headers.location, 'https://example.com/caf%C3%A9');
  });

  it('an unknown code is 404 {"detail":"Short URL not found"} for redirect and stats', async () => {
    for (const path of [`/${randomCode(9)}`, `/api/stats/${randomCode(9)}`, '/ab', '/abc.json', '/api']) {
      const res = await api.http.get(path).redirects(0);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { detail: 'Short URL not found' }, path);
    }
  });

  for (const n of [3, 5]) {
    it(`${n} redirects, then stats shows ${n} (clicks not yet in PostgreSQL are counted)`, async () => {
      const code = (await shorten({ url: `https://example.com/clicks/${n}` })).body.short_code as string;
      for (let i = 0; i < n; i++) assert.equal((await api.http.get(`/${code}`).redirects(0)).status, 307);
      assert.equal((await api.http.head(`/${code}`).redirects(0)).status, 307); // HEAD is not a click
      const stats = await api.http.get(`/api/stats/${code}`);
      assert.equal(stats.status, 200);
      assert.equal(stats.body.short_code, code);
      // Clicks reach stats through Kafka and the counting group: never more than n on the way, then exactly n,
      // and still n once everything on the topic is aggregated (nothing lost, nothing counted twice).
      await expectClicks(api, code, n);
    });
  }

  it('a generated code already taken by a custom code is skipped, never a 409', async () => {
    // Own code key and allocator: this harness's generated codes are encode(0), encode(1), ... and new.
    const secret = `test-secret-${randomCode(16)}`;
    const own = await startApi({ SHORT_CODE_KEY: secret, ID_ALLOCATOR_KEY: `test-api-${randomCode(10)}` });
    try {
      const codec = createCodec(secret);
      for (const id of [0, 1]) assert.ok(await insertLink(own.runtime.deps.db, codec.encode(id), 'https://example.com/taken'));
      const res = await own.http.post('/api/shorten').send({ url: 'https://example.com/generated' });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.short_code, codec.encode(2));
    } finally {
      await own.close();
      await dropAllocatorKey(own.config);
    }
  });

  it('serves /openapi.json (every public route) and a /docs page that loads nothing from other origins', async () => {
    const spec = await api.http.get('/openapi.json');
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi, '3.0.3');
    for (const p of ['/api/shorten', '/{short_code}', '/api/stats/{short_code}', '/health', '/ready', '/metrics']) {
      assert.ok(spec.body.paths[p], p);
    }
    const docs = await api.http.get('/docs');
    assert.equal(docs.status, 200);
    assert.match(String(docs.headers['content-type']), /text\/html/);
    assert.match(String(docs.headers['content-security-policy']), /default-src 'none'; script-src 'self';/);
    assert.doesNotMatch(docs.text, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resource');
    const bundle = await api.http.get('/docs/swagger-ui-bundle.js');
    assert.equal(bundle.status, 200);
    assert.match(String(bundle.headers['content-type']), /javascript/);
  });

  it('unknown routes are 404 and wrong methods 405, both as {"detail": ...}', async () => {
    const missing = await api.http.get('/no/such/route');
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.detail, 'string');
    for (const [method, path] of [['get', '/api/shorten'], ['delete', '/api/stats/abc1234'], ['post', '/abc1234'], ['put', '/health']] as const) {
      const res = await api.http[method](path);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(typeof res.body.detail, 'string');
    }
  });
});
