/**
 * The link management API against the real services, in open mode: the whole life of a link (create with
 * every field, list, get, edit, delete), expiry, visit limits, passwords, bulk, CSV, QR and the bad inputs of
 * issue 12. Every rejected request is checked to leave the urls table byte for byte unchanged.
 */
import assert from 'node:assert/strict';
import { createWarmCacheActivities } from '../../activities/warm-cache';
import { linkCacheKey } from '../../db/link-cache';
import { findLinkByCode } from '../../db/links';
import { expectClicks, startApi, randomCode, TEST_BASE_URL, type ApiHarness } from '../helpers/api';

const U = 'https://example.com/managed';

describe('links API: lifecycle, limits, passwords, bulk and export (integration)', function () {
  this.timeout(60_000);
  let api: ApiHarness;
  before(async () => {
    api = await startApi({}, { counter: true });
  });
  after(() => api?.close());

  /** A digest of every row of urls: equal before and after means nothing was written. */
  const digest = async (): Promise<string> => {
    const { rows } = await api.runtime.deps.pool.query<{ d: string }>(
      "SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY id), '')) AS d FROM urls u",
    );
    return rows[0].d;
  };
  const create = (body: object) => api.http.post('/api/shorten').send(body);
  const unchanged = async (label: string, send: () => Promise<{ status: number; body: unknown; text: string }>, status: number) => {
    const before = await digest();
    const res = await send();
    assert.equal(res.status, status, `${label}: ${res.text}`);
    assert.ok(typeof (res.body as { detail?: unknown }).detail !== 'undefined', `${label}: has detail`);
    assert.equal(await digest(), before, `${label}: nothing written`);
    return res;
  };

  it('creates a link with every field; the full body never shows the password', async () => {
    const res = await create({ url: U, expires_at: '2999-01-01T00:00:00Z', max_visits: 5, password: 'hunter22', tags: ['a', 'b'], title: 'T', forward_query: false });
    assert.equal(res.status, 201, res.text);
    const b = res.body as Record<string, unknown>;
    assert.deepEqual(
      { e: b.expires_at, m: b.max_visits, p: b.has_password, t: b.tags, ti: b.title, f: b.forward_query, v: b.visits },
      { e: '2999-01-01T00:00:00.000Z', m: 5, p: true, t: ['a', 'b'], ti: 'T', f: false, v: 0 },
    );
    assert.ok(!('password' in b) && !res.text.includes('hunter22') && !res.text.includes('scrypt'));
    const { rows } = await api.runtime.deps.pool.query('SELECT password_hash FROM urls WHERE short_code = $1', [b.short_code]);
    assert.match(rows[0].password_hash as string, /^scrypt\$/);
  });

  it('bad creates are 422 with detail and write nothing: unknown field, past expiry, max_visits 0, self-links', async () => {
    const unknown = await unchanged('unknown field', () => create({ url: U, expires: '2999-01-01T00:00:00Z' }), 422);
    assert.deepEqual(unknown.body, { detail: [{ type: 'extra_forbidden', loc: ['body', 'expires'], msg: "Unknown field 'expires'" }] });
    await unchanged('past expires_at', () => create({ url: U, expires_at: '2001-01-01T00:00:00Z' }), 422);
    await unchanged('max_visits 0', () => create({ url: U, max_visits: 0 }), 422);
    await unchanged('short password', () => create({ url: U, password: 'abc' }), 422);
    await unchanged('11 tags', () => create({ url: U, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }), 422);
    const self = await unchanged('BASE_URL host', () => create({ url: `${TEST_BASE_URL}/abc1234` }), 422);
    assert.match(JSON.stringify(self.body), /this service/);
    const port = (api.server.address() as { port: number }).port;
    await unchanged('request host', () => create({ url: `http://127.0.0.1:${port}/x` }), 422);
  });

  it('lists newest first with signed cursors, filters by tag and q, sorts by clicks; a tampered cursor is 400', async () => {
    const tag = `t${randomCode(8).toLowerCase()}`;
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await create({ url: `${U}/${i}`, tags: [tag], title: `needle ${tag} ${i}` })).body.short_code as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.http.get('/api/links').query({ tag, limit: 2, ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, res.text);
      seen.push(...(res.body.items as Array<{ short_code: string }>).map((l) => l.short_code));
      cursor = res.body.next_cursor as string | null;
    } while (cursor);
    assert.deepEqual(seen, [...codes].reverse());
    const q = await api.http.get('/api/links').query({ q: `needle ${tag} 3` });
    assert.deepEqual((q.body.items as Array<{ short_code: string }>).map((l) => l.short_code), [codes[3]]);
    const first = await api.http.get('/api/links').query({ tag, limit: 2 });
    const good = first.body.next_cursor as string;
    const [payload, mac] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ s: 'created', id: 1e9 })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -2)}xx`, 'garbage', `${payload}`]) {
      const res = await api.http.get('/api/links').query({ tag, cursor: bad });
      assert.equal(res.status, 400, bad);
      assert.match(String(res.body.detail), /cursor/i);
    }
    assert.equal((await api.http.get('/api/links').query({ sort: 'clicks', cursor: good })).status, 400, 'a cursor of another sort');
    const byClicks = await api.http.get('/api/links').query({ tag, sort: 'clicks', limit: 100 });
    assert.equal(byClicks.status, 200);
    const unknown = await api.http.get('/api/links').query({ colour: 'red' });
    assert.equal(unknown.status, 422);
    assert.deepEqual(unknown.body.detail[0].loc, ['query', 'colour']);
    assert.equal((await api.http.get('/api/links').query({ limit: 0 })).status, 422);
  });

  it('gets, edits (null clears) and deletes a link; the deleted code is 404 everywhere and never handed out again', async () => {
    const code = randomCode(10);
    assert.equal((await create({ url: U, custom_code: code, title: 'x', tags: ['k'] })).status, 201);
    const got = await api.http.get(`/api/links/${code}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.title, 'x');
    const edited = await api.http.patch(`/api/links/${code}`).send({ url: `${U}/edited`, title: null, tags: null });
    assert.equal(edited.status, 200, edited.text);
    assert.deepEqual([edited.body.original_url, edited.body.title, edited.body.tags], [`${U}/edited`, null, []]);
    assert.equal((await api.http.get(`/${code}`).redirects(0)).headers.location, `${U}/edited`);
    await unchanged('patch unknown field', () => api.http.patch(`/api/links/${code}`).send({ colour: 'red' }), 422);
    await unchanged('patch self-link', () => api.http.patch(`/api/links/${code}`).send({ url: `${TEST_BASE_URL}/x` }), 422);
    await unchanged('patch empty', () => api.http.patch(`/api/links/${code}`).send({}), 422);
    assert.equal((await api.http.delete(`/api/links/${code}`)).status, 204);
    assert.equal((await api.http.get(`/${code}`).redirects(0)).status, 404);
    assert.equal((await api.http.get(`/api/links/${code}`)).status, 404);
    assert.equal((await api.http.get(`/api/stats/${code}`)).status, 404);
    assert.equal((await api.http.delete(`/api/links/${code}`)).status, 404);
    await unchanged('reuse of a deleted code', () => create({ url: U, custom_code: code }), 409);
    // The cache warmer must not bring the deleted link back into Redis.
    const { db, redisCache } = api.runtime.deps;
    await createWarmCacheActivities({ db, redisCache, cacheTtlSeconds: 60 }).warmCache(1_000_000);
    assert.equal(await redisCache.exists(linkCacheKey(code)), 0);
  });

  it('an expired link is 410 and its clicks are not counted', async () => {
    const code = randomCode(10);
    assert.equal((await create({ url: U, custom_code: code, expires_at: new Date(Date.now() + 60_000).toISOString() })).status, 201);
    assert.equal((await api.http.get(`/${code}`).redirects(0)).status, 307);
    // Moving the expiry into the past through the database, as time passing would.
    const row = (await api.runtime.deps.pool.query("UPDATE urls SET expires_at = now() - interval '1 second' WHERE short_code = $1 RETURNING *", [code])).rows[0];
    assert.ok(row);
    await api.runtime.deps.resolver.remember((await findLinkByCode(api.runtime.deps.db, code))!);
    const gone = await api.http.get(`/${code}`).redirects(0);
    assert.equal(gone.status, 410);
    assert.deepEqual(gone.body, { detail: 'Short URL expired' });
    await expectClicks(api, code, 1);
  });

  it('a visit limit answers 410 after max_visits redirects; HEAD does not use a visit; query strings are forwarded', async () => {
    const code = randomCode(10);
    assert.equal((await create({ url: `${U}?a=1#f`, custom_code: code, max_visits: 2 })).status, 201);
    assert.equal((await api.http.head(`/${code}`).redirects(0)).status, 307);
    const first = await api.http.get(`/${code}?utm=x`).redirects(0);
    assert.equal(first.headers.location, `${U}?a=1&utm=x#f`);
    assert.equal((await api.http.get(`/${code}`).redirects(0)).status, 307);
    const used = await api.http.get(`/${code}`).redirects(0);
    assert.equal(used.status, 410);
    assert.deepEqual(used.body, { detail: 'Short URL reached its visit limit' });
    assert.equal((await api.http.get(`/api/links/${code}`)).body.visits, 2);
  });

  it('a password link: 401 JSON or an HTML form, POST right is 307, wrong is 401, guesses are limited', async () => {
    const code = randomCode(10);
    assert.equal((await create({ url: U, custom_code: code, password: 'open sesame' })).status, 201);
    const json = await api.http.get(`/${code}`).redirects(0);
    assert.deepEqual([json.status, json.body], [401, { detail: 'Password required' }]);
    const page = await api.http.get(`/${code}`).set('Accept', 'text/html').redirects(0);
    assert.equal(page.status, 401);
    assert.match(page.text, /<form method="post"/);
    assert.doesNotMatch(page.text, /<script/i);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    const right = await api.http.post(`/${code}`).send({ password: 'open sesame' }).redirects(0);
    assert.deepEqual([right.status, right.headers.location], [307, U]);
    const form = await api.http.post(`/${code}`).type('form').send({ password: 'open sesame' }).redirects(0);
    assert.equal(form.headers.location, U);
    const wrong = await api.http.post(`/${code}`).send({ password: 'nope' });
    assert.deepEqual([wrong.status, wrong.body], [401, { detail: 'Wrong password' }]);
    assert.equal((await api.http.post(`/${code}`).send({ password: 'open sesame', extra: 1 })).status, 422);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await api.http.post(`/${code}`).send({ password: `guess${i}` })).status);
    // One wrong guess came before: the 10th wrong guess is the last one checked, then 429 even for the right one.
    assert.deepEqual(statuses, [...Array(9).fill(401), 429, 429]);
    const locked = await api.http.post(`/${code}`).send({ password: 'open sesame' });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
  });

  it('bulk: one result per item (201/409/422); 1,001 items is 422 and creates nothing', async () => {
    const taken = randomCode(10);
    assert.equal((await create({ url: U, custom_code: taken })).status, 201);
    const dup = randomCode(10);
    const res = await api.http.post('/api/links/bulk').send({
      links: [{ url: `${U}/1` }, { url: `${U}/2`, custom_code: taken }, { url: 'nope' }, { url: `${U}/4`, custom_code: dup }, { url: `${U}/5`, custom_code: dup }, { url: `${TEST_BASE_URL}/x` }],
    });
    assert.equal(res.status, 200, res.text);
    const statuses = (res.body.results as Array<{ index: number; status: number }>).map((r) => [r.index, r.status]);
    assert.deepEqual(statuses, [[0, 201], [1, 409], [2, 422], [3, 201], [4, 409], [5, 422]]);
    assert.equal(res.body.results[0].link.original_url, `${U}/1`);
    const many = { links: Array.from({ length: 1001 }, (_, i) => ({ url: `${U}/${i}` })) };
    await unchanged('1,001 bulk items', () => api.http.post('/api/links/bulk').send(many), 422);
  });

  it('exports the selection as RFC 4180 CSV with a header row', async () => {
    const tag = `c${randomCode(8).toLowerCase()}`;
    await create({ url: `${U}/csv`, tags: [tag], title: 'has, a "comma"' });
    const res = await api.http.get('/api/links.csv').query({ tag }).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => cb(null, text));
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    const lines = String(res.body).split('\r\n');
    assert.match(lines[0], /^short_code,short_url,original_url,title,tags/);
    assert.match(lines[1], /,"has, a ""comma""",/);
    assert.equal(lines.length, 3, 'header, one row, final CRLF');
  });

  it('QR codes as SVG and PNG; bad format or size is 422, unknown code 404', async () => {
    const code = (await create({ url: U })).body.short_code as string;
    const svg = await api.http.get(`/api/links/${code}/qr`);
    assert.equal(svg.status, 200);
    assert.match(String(svg.headers['content-type']), /image\/svg\+xml/);
    const png = await api.http.get(`/api/links/${code}/qr`).query({ format: 'png', size: 128 }).buffer(true);
    assert.equal(png.status, 200);
    assert.deepEqual([...(png.body as Buffer).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal((await api.http.get(`/api/links/${code}/qr`).query({ format: 'gif' })).status, 422);
    assert.equal((await api.http.get(`/api/links/${code}/qr`).query({ size: 5000 })).status, 422);
    assert.equal((await api.http.get(`/api/links/${randomCode(10)}/qr`)).status, 404);
  });

  it('every route is in the OpenAPI document with its errors', async () => {
    const spec = await api.http.get('/openapi.json');
    const paths = spec.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    for (const [path, method, errors] of [
      ['/api/shorten', 'post', ['401', '403', '409', '422']],
      ['/api/links', 'get', ['400', '401', '403', '422']],
      ['/api/links/{code}', 'get', ['404']],
      ['/api/links/{code}', 'patch', ['404', '422']],
      ['/api/links/{code}', 'delete', ['404']],
      ['/api/links/bulk', 'post', ['422']],
      ['/api/links.csv', 'get', ['422']],
      ['/api/links/{code}/qr', 'get', ['404', '422']],
      ['/{short_code}', 'get', ['401', '404', '410']],
      ['/{short_code}', 'post', ['401', '429']],
    ] as const) {
      const op = paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      for (const status of errors) assert.ok(op.responses[status], `${method} ${path} ${status}`);
    }
  });
});
