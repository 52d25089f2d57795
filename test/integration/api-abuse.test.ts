/** Abuse limits on link creation against the real Redis: per-client rate limit (429) and API keys (401). */
import assert from 'node:assert/strict';
import { randomCode, startApi, type ApiHarness } from '../helpers/api';

/** A client address no other run uses, so the shared Redis window starts empty. */
const randomIp = () => `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join('.')}`;

describe('API: abuse limits (integration)', function () {
  this.timeout(30_000);
  const keys = [`k1-${randomCode(20)}`, `k2-${randomCode(20)}`];
  let limited: ApiHarness;
  let keyed: ApiHarness;

  before(async () => {
    [limited, keyed] = await Promise.all([
      startApi({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_CREATES_PER_MINUTE: '3', TRUST_PROXY: 'true' }),
      startApi({ API_KEYS: keys.join(','), RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_CREATES_PER_MINUTE: '2' }),
    ]);
  });
  after(() => Promise.all([limited?.close(), keyed?.close()]));

  it('after the limit a client gets 429 with Retry-After, and nothing is written; others are unaffected', async () => {
    const ip = randomIp();
    const marker = randomCode();
    const create = (from: string) =>
      limited.http.post('/api/shorten').set('X-Forwarded-For', from).send({ url: `https://example.com/${marker}` });
    for (let i = 0; i < 3; i++) assert.equal((await create(ip)).status, 201);
    const refused = await create(ip);
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, { detail: 'Too many requests' });
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${refused.headers['retry-after']}`);
    assert.equal((await create(ip)).status, 429);
    const { rows } = await limited.runtime.deps.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM urls WHERE original_url = $1',
      [`https://example.com/${marker}`],
    );
    assert.equal(Number(rows[0].n), 3);
    assert.equal((await create(randomIp())).status, 201, 'another client has its own window');
    // Redirects are never limited.
    const code = (await create(randomIp())).body.short_code as string;
    for (let i = 0; i < 5; i++) assert.equal((await limited.http.get(`/${code}`).set('X-Forwarded-For', ip)).status, 307);
  });

  it('behind one proxy hop the limit keys on the address the proxy appended: a spoofed X-Forwarded-For neither bypasses nor locks out', async () => {
    const marker = randomCode();
    // What the proxy forwards: whatever the client sent, then the address the proxy saw.
    const viaProxy = (spoofed: string, seen: string) =>
      limited.http.post('/api/shorten').set('X-Forwarded-For', `${spoofed}, ${seen}`).send({ url: `https://example.com/${marker}` });
    const attacker = randomIp();
    const victim = randomIp();
    for (let i = 0; i < 3; i++) assert.equal((await viaProxy(randomIp(), attacker)).status, 201);
    // A fresh random leftmost entry on every request does not make the attacker a new client.
    for (let i = 0; i < 5; i++) assert.equal((await viaProxy(randomIp(), attacker)).status, 429, 'spoofed entries bypassed the limit');
    // Writing the victim's address in front of its own does not spend the victim's window either.
    for (let i = 0; i < 5; i++) assert.equal((await viaProxy(victim, attacker)).status, 429);
    const own = await limited.http.post('/api/shorten').set('X-Forwarded-For', victim).send({ url: `https://example.com/${marker}` });
    assert.equal(own.status, 201, 'the victim was locked out by requests naming its address');
    assert.equal(own.headers['ratelimit-remaining'], '2');
  });

  it('with API_KEYS set, creation needs a valid key (X-API-Key or Bearer): 401 otherwise', async () => {
    const body = { url: 'https://example.com/keyed' };
    const none = await keyed.http.post('/api/shorten').send(body);
    assert.equal(none.status, 401);
    assert.equal(typeof none.body.detail, 'string');
    assert.ok(none.headers['www-authenticate']);
    assert.equal((await keyed.http.post('/api/shorten').set('X-API-Key', 'wrong').send(body)).status, 401);
    assert.equal((await keyed.http.post('/api/shorten').set('Authorization', `Bearer ${keys[0]}x`).send(body)).status, 401);
    assert.equal((await keyed.http.post('/api/shorten').set('X-API-Key', keys[0]).send(body)).status, 201);
    assert.equal((await keyed.http.post('/api/shorten').set('Authorization', `Bearer ${keys[1]}`).send(body)).status, 201);
    // Redirects and stats stay public.
    const code = (await keyed.http.post('/api/shorten').set('X-API-Key', keys[1]).send(body)).body.short_code as string;
    assert.equal((await keyed.http.get(`/${code}`)).status, 307);
    assert.equal((await keyed.http.get(`/api/stats/${code}`)).status, 200);
  });

  it('with API keys, the rate limit follows the key, not the address', async () => {
    const body = { url: 'https://example.com/per-key' };
    const withKey = (key: string) => keyed.http.post('/api/shorten').set('X-API-Key', key).send(body);
    // keys[0] made one create above and keys[1] two, with a limit of 2 per minute.
    assert.equal((await withKey(keys[0])).status, 201);
    assert.equal((await withKey(keys[0])).status, 429);
    assert.equal((await withKey(keys[1])).status, 429);
  });
});
