/**
 * API keys in PostgreSQL with roles, against a database of this suite's own (keys switch the service out of
 * open mode). Covers `npm run keys`, the roles (403), ownership (another key's link is a 404), revocation,
 * and that a rejected request writes nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AUTH_CACHE_MS } from '../../api/auth';
import { startApi, randomCode, type ApiHarness } from '../helpers/api';
import { createOwnDatabase, type OwnDatabase } from '../helpers/own-database';
import { eventually } from '../helpers/api';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run keys -- args` (through tsx directly) against `url`. */
async function keysCli(url: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'db/keys-cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'test' },
  });
  return stdout;
}

describe('links API: keys, roles and ownership (integration)', function () {
  this.timeout(90_000);
  let own: OwnDatabase;
  let api: ApiHarness;
  const keys: Record<string, string> = {};
  const ids: Record<string, number> = {};

  before(async () => {
    own = await createOwnDatabase();
    api = await startApi({ DATABASE_URL: own.url, ID_ALLOCATOR_KEY: `keys-${randomCode(8)}` });
  });
  after(async () => {
    await api?.close();
    await own?.drop();
  });

  const as = (name: string) => ({ 'X-API-Key': keys[name] });
  const digest = async (): Promise<string> => {
    const { rows } = await api.runtime.deps.pool.query<{ d: string }>(
      "SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY id), '')) AS d FROM urls u",
    );
    return rows[0].d;
  };

  it('runs open with no key; `npm run keys -- create` prints a key once, and then keys are required', async () => {
    assert.equal(await api.runtime.deps.auth.mode(), 'open');
    assert.equal((await api.http.get('/api/links')).status, 200, 'open mode lists without a key');
    for (const [name, role] of [['boss', 'admin'], ['alice', 'editor'], ['bob', 'editor'], ['vera', 'viewer']]) {
      const out = await keysCli(own.url, 'create', '--name', name, '--role', role);
      const match = /created key (\d+) .*\n(lh_\S+)/.exec(out);
      assert.ok(match, out);
      ids[name] = Number(match[1]);
      keys[name] = match[2];
    }
    const listed = await keysCli(own.url, 'list');
    assert.match(listed, /alice\t/);
    for (const key of Object.values(keys)) assert.ok(!listed.includes(key), 'list never shows a key');
    const { rows } = await api.runtime.deps.pool.query('SELECT key_hash FROM api_keys');
    for (const key of Object.values(keys)) assert.ok(!rows.some((r) => r.key_hash === key), 'only hashes are stored');
    // The mode is cached for AUTH_CACHE_MS; wait for the switch instead of assuming it.
    assert.ok(await eventually(async () => (await api.http.get('/api/links')).status === 401, AUTH_CACHE_MS + 3000));
    const before = await digest();
    assert.equal((await api.http.post('/api/shorten').send({ url: 'https://example.com/anon' })).status, 401);
    assert.equal((await api.http.post('/api/shorten').set('X-API-Key', 'lh_wrong').send({ url: 'https://example.com/anon' })).status, 401);
    assert.equal(await digest(), before);
  });

  it('roles: viewers cannot write (403, nothing written); editors see and change only their own links (404 otherwise)', async () => {
    const created = await api.http.post('/api/shorten').set(as('alice')).send({ url: 'https://example.com/alice', tags: ['mine'] });
    assert.equal(created.status, 201, created.text);
    const code = created.body.short_code as string;
    const bobs = await api.http.post('/api/shorten').set('Authorization', `Bearer ${keys.bob}`).send({ url: 'https://example.com/bob' });
    assert.equal(bobs.status, 201);

    const before = await digest();
    const viewerCreate = await api.http.post('/api/shorten').set(as('vera')).send({ url: 'https://example.com/vera' });
    assert.equal(viewerCreate.status, 403);
    assert.equal((await api.http.post('/api/links/bulk').set(as('vera')).send({ links: [{ url: 'https://example.com/v' }] })).status, 403);
    assert.equal((await api.http.patch(`/api/links/${code}`).set(as('vera')).send({ title: 'x' })).status, 403);
    assert.equal((await api.http.delete(`/api/links/${code}`).set(as('vera'))).status, 403);
    // Bob's requests on Alice's link look exactly like requests on a code that does not exist.
    const missing = randomCode(10);
    for (const c of [code, missing]) {
      assert.deepEqual((await api.http.get(`/api/links/${c}`).set(as('bob'))).body, { detail: 'Short URL not found' });
      assert.equal((await api.http.patch(`/api/links/${c}`).set(as('bob')).send({ title: 'x' })).status, 404);
      assert.equal((await api.http.delete(`/api/links/${c}`).set(as('bob'))).status, 404);
      assert.equal((await api.http.get(`/api/stats/${c}`).set(as('bob'))).status, 404);
      assert.equal((await api.http.get(`/api/links/${c}/qr`).set(as('bob'))).status, 404);
    }
    assert.equal(await digest(), before, 'nothing written by refused requests');

    const alicesList = await api.http.get('/api/links').set(as('alice'));
    assert.deepEqual((alicesList.body.items as Array<{ short_code: string }>).map((l) => l.short_code), [code]);
    const bossList = await api.http.get('/api/links').set(as('boss'));
    assert.equal(bossList.body.items.length, 2, 'admins see every link');
    assert.equal((await api.http.get(`/api/stats/${code}`)).status, 401, 'stats need a key once keys exist');
    assert.equal((await api.http.get(`/api/stats/${code}`).set(as('alice'))).status, 200);
    assert.equal((await api.http.get(`/${code}`).redirects(0)).status, 307, 'redirects stay public');
    assert.equal((await api.http.patch(`/api/links/${code}`).set(as('boss')).send({ title: 'by admin' })).status, 200);
    assert.equal((await api.http.delete(`/api/links/${code}`).set(as('alice'))).status, 204);
  });

  it('a revoked key stops working within the auth cache time', async () => {
    assert.equal((await api.http.get('/api/links').set(as('bob'))).status, 200);
    assert.match(await keysCli(own.url, 'revoke', String(ids.bob)), /revoked/);
    assert.ok(await eventually(async () => (await api.http.get('/api/links').set(as('bob'))).status === 401, AUTH_CACHE_MS + 3000));
  });
});
