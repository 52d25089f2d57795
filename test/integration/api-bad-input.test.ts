/**
 * Table-driven bad input against the real API: every case is a 4xx with a {"detail": ...} body, never a 5xx,
 * and nothing is written (no row carries this run's token, and no SQL write on `urls` was sent).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Test } from 'supertest';
import { randomCode, spyOn, startApi, type ApiHarness, type CommandSpy } from '../helpers/api';

const TOKEN = randomCode(14);
const U = `https://example.com/${TOKEN}`;

interface Res {
  status: number;
  text: string;
  body: unknown;
}

interface Case {
  name: string;
  status: number;
  /** Sends the request; default: POST /api/shorten with `body` as JSON. */
  send?: (api: ApiHarness) => Test | Promise<Res>;
  body?: unknown;
}

const post = (api: ApiHarness) => api.http.post('/api/shorten');
// serialize(identity): superagent would otherwise JSON-encode a Buffer as {"type":"Buffer",...}.
const raw = (contentType: string, payload: string | Buffer) => (api: ApiHarness) =>
  post(api).set('Content-Type', contentType).serialize(((b: unknown) => b) as (b: unknown) => string).send(payload);

/** A truly chunked upload (no Content-Length), written in 4 KB pieces. */
function chunkedPost(api: ApiHarness, total: number): Promise<Res> {
  const { port } = api.server.address() as AddressInfo;
  return new Promise<Res>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/api/shorten', headers: { 'Content-Type': 'application/json' } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, body: text ? (JSON.parse(text) as unknown) : {} }));
    });
    // The server answers 413 and closes the connection while we are still writing: not an error here.
    req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
    const piece = 'x'.repeat(4096);
    req.write(`{"url": "${U}", "pad": "`);
    for (let sent = 0; sent < total; sent += piece.length) req.write(piece);
    req.end('"}');
  });
}

const cases: Case[] = [
  // URL schemes and shapes
  { name: 'javascript: scheme', status: 422, body: { url: `javascript:alert('${TOKEN}')` } },
  { name: 'data: scheme', status: 422, body: { url: `data:text/html,${TOKEN}` } },
  { name: 'ftp: scheme', status: 422, body: { url: `ftp://example.com/${TOKEN}` } },
  { name: 'file: scheme', status: 422, body: { url: `file:///${TOKEN}` } },
  { name: 'relative URL', status: 422, body: { url: `/${TOKEN}` } },
  { name: 'scheme-relative URL', status: 422, body: { url: `//example.com/${TOKEN}` } },
  { name: 'no host', status: 422, body: { url: `http:///${TOKEN}` } },
  { name: 'credentials', status: 422, body: { url: `https://user:pass@example.com/${TOKEN}` } },
  { name: 'user only', status: 422, body: { url: `https://user@example.com/${TOKEN}` } },
  { name: 'backslash authority trick', status: 422, body: { url: `https://example.com\\@evil.com/${TOKEN}` } },
  { name: 'bad port', status: 422, body: { url: `https://example.com:70000/${TOKEN}` } },
  // Lengths and characters
  { name: 'URL over 2048 bytes', status: 422, body: { url: `${U}/${'a'.repeat(2048)}` } },
  { name: 'NUL byte', status: 422, body: { url: `${U}/\u0000` } },
  { name: 'CRLF header injection', status: 422, body: { url: `${U}/\r\nSet-Cookie: a=b` } },
  { name: 'tab', status: 422, body: { url: `${U}/\tx` } },
  { name: 'space', status: 422, body: { url: `${U}/a b` } },
  { name: 'DEL', status: 422, body: { url: `${U}/\u007f` } },
  { name: 'C1 control (NEL)', status: 422, body: { url: `${U}/\u0085` } },
  { name: 'no-break space', status: 422, body: { url: `${U}/\u00a0` } },
  { name: 'line separator', status: 422, body: { url: `${U}/\u2028` } },
  { name: 'invalid UTF-8 bytes', status: 400, send: raw('application/json', Buffer.from([0x7b, 0x22, 0x75, 0xff, 0xfe, 0x7d])) },
  // Custom codes
  { name: 'custom code too short', status: 422, body: { url: U, custom_code: 'ab' } },
  { name: 'custom code too long', status: 422, body: { url: U, custom_code: 'a'.repeat(21) } },
  { name: 'custom code punctuation', status: 422, body: { url: U, custom_code: 'my-code!' } },
  { name: 'custom code Unicode letters', status: 422, body: { url: U, custom_code: 'café123' } },
  { name: 'custom code full-width', status: 422, body: { url: U, custom_code: 'ｍｙｃｏｄｅ' } },
  { name: 'custom code reserved (api)', status: 422, body: { url: U, custom_code: 'api' } },
  { name: 'custom code reserved, other case (METRICS)', status: 422, body: { url: U, custom_code: 'METRICS' } },
  { name: 'custom code empty', status: 422, body: { url: U, custom_code: '' } },
  { name: 'custom code number', status: 422, body: { url: U, custom_code: 12345 } },
  // JSON shapes and types
  { name: 'array body', status: 422, body: [{ url: U }] },
  { name: 'null body', status: 422, send: raw('application/json', 'null') },
  { name: 'number body', status: 422, send: raw('application/json', '42') },
  { name: 'string body', status: 422, send: raw('application/json', JSON.stringify(U)) },
  { name: 'empty object', status: 422, body: {} },
  { name: 'url is a number', status: 422, body: { url: 42 } },
  { name: 'url is null', status: 422, body: { url: null } },
  { name: 'url is an array', status: 422, body: { url: [U] } },
  { name: 'url is nested', status: 422, body: { url: { href: U } } },
  { name: 'url is a boolean', status: 422, body: { url: true } },
  { name: 'empty body', status: 422, send: raw('application/json', '') },
  { name: 'malformed JSON', status: 400, send: raw('application/json', `{"url": "${U}"`) },
  { name: 'trailing garbage', status: 400, send: raw('application/json', `{"url": "${U}"} x`) },
  // Headers and transport
  { name: 'text/plain content type', status: 415, send: raw('text/plain', JSON.stringify({ url: U })) },
  { name: 'form content type', status: 415, send: raw('application/x-www-form-urlencoded', `url=${encodeURIComponent(U)}`) },
  { name: 'no content type', status: 415, send: (api) => post(api).unset('Content-Type').send(Buffer.from(JSON.stringify({ url: U }))) },
  { name: 'latin1 charset', status: 415, send: raw('application/json; charset=latin1', JSON.stringify({ url: U })) },
  { name: 'gzip content encoding', status: 415, send: (api) => raw('application/json', JSON.stringify({ url: U }))(api).set('Content-Encoding', 'gzip') },
  { name: 'body over 16 KB', status: 413, body: { url: U, pad: 'x'.repeat(17 * 1024) } },
  { name: 'body over 16 KB, chunked', status: 413, send: (api) => chunkedPost(api, 64 * 1024) },
  // Paths and methods
  { name: 'GET on the create route', status: 405, send: (api) => api.http.get('/api/shorten') },
  { name: 'PUT on the create route', status: 405, send: (api) => api.http.put('/api/shorten').send({ url: U }) },
  { name: 'POST to a code', status: 405, send: (api) => api.http.post(`/${TOKEN}`).send({ url: U }) },
  { name: 'unknown API route', status: 404, send: (api) => api.http.post(`/api/v2/shorten`).send({ url: U }) },
  { name: 'path traversal', status: 404, send: (api) => api.http.get('/..%2f..%2fetc%2fpasswd') },
  { name: 'encoded code', status: 404, send: (api) => api.http.get('/abc%00def') },
  { name: 'over-long code', status: 404, send: (api) => api.http.get(`/${'a'.repeat(300)}`) },
];

describe('API: bad input is refused without writes (integration)', function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let spy: CommandSpy;
  const tokenRows = async () => {
    const { rows } = await api.runtime.deps.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM urls WHERE original_url LIKE $1 OR short_code = ANY($2)',
      [`%${TOKEN}%`, [TOKEN, 'ab', 'api', 'METRICS', 'café123']],
    );
    return Number(rows[0].n);
  };

  before(async () => {
    api = await startApi();
    // A keygen refill writes id_allocator at any time; let the first one land before counting writes.
    await api.runtime.deps.keygen.nextCode();
  });
  after(async () => {
    spy?.restore();
    await api?.close();
  });

  it(`has at least 30 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 30);
  });

  it('answers every case with its 4xx and {"detail": ...}, and writes nothing', async () => {
    const before = await tokenRows();
    const total = await api.runtime.deps.db.execute(sql`SELECT count(*)::int AS n FROM urls`);
    spy = spyOn(api.runtime.deps.redisCache, api.runtime.deps.pool);
    const failures: string[] = [];
    for (const c of cases) {
      const sent = c.send ? c.send(api) : post(api).send(c.body as object);
      const res: Res = sent instanceof Promise ? await sent : await sent.redirects(0).ok(() => true);
      if (res.status !== c.status) failures.push(`${c.name}: expected ${c.status}, got ${res.status} ${res.text.slice(0, 200)}`);
      else if (c.status !== 405 && c.status !== 404 && !('detail' in (res.body as object))) failures.push(`${c.name}: no detail`);
      else if (c.status === 405 && typeof (res.body as { detail?: unknown }).detail !== 'string') failures.push(`${c.name}: no detail`);
      assert.ok(res.status < 500, `${c.name}: ${res.status}`);
    }
    assert.deepEqual(failures, []);
    const writes = spy.sql.filter((q) => /\b(insert|update|delete)\b[\s\S]*\burls\b/i.test(q));
    assert.deepEqual(writes, [], 'no SQL write on urls');
    assert.equal(await tokenRows(), before, 'no row of this run was written');
    const after = await api.runtime.deps.db.execute(sql`SELECT count(*)::int AS n FROM urls`);
    // Other suites may create links concurrently on the shared test database; ours must not have.
    assert.ok(Number(after.rows[0].n) >= Number(total.rows[0].n));

    // The instruments can see a write: a valid create right after shows up in both.
    assert.equal((await post(api).send({ url: U })).status, 201);
    assert.equal(spy.sql.filter((q) => /insert into "?urls"?\s/i.test(q)).length, 1);
    assert.equal(await tokenRows(), before + 1);
  });
});
