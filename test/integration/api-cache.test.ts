/**
 * The redirect path's caches against the real Redis and PostgreSQL: a cache hit makes no round trip,
 * concurrent misses make one query, unknown codes are cached, and evictions reach another replica.
 */
import assert from 'node:assert/strict';
import { linkCacheKey } from '../../db/link-cache';
import { missingLinkKey } from '../../api/link-resolver';
import { cacheInLru, eventually, expectClicks, randomCode, spyOn, startApi, type ApiHarness } from '../helpers/api';
import { DEAD_PORT } from '../helpers/keygen';

const isLookup = (c: string) => /^(GET|MGET) url/.test(c);
const isSelect = (q: string) => /^\s*select/i.test(q);

describe('API: cache-first redirects (integration)', function () {
  this.timeout(30_000);
  let api: ApiHarness;
  let replica: ApiHarness;

  before(async () => {
    // Only `api`'s clicks are counted here; the replica serves lookups and evictions.
    [api, replica] = await Promise.all([startApi({}, { counter: true }), startApi()]);
  });
  after(() => Promise.all([api?.close(), replica?.close()]));

  const create = async (h: ApiHarness, body: Record<string, string>) => {
    const res = await h.http.post('/api/shorten').send(body);
    assert.equal(res.status, 201, res.text);
    return res.body.short_code as string;
  };

  it('a cache-hit redirect sends no Redis command and no SQL (its click goes to Kafka), and every hit is counted', async () => {
    const url = `https://example.com/hot/${randomCode()}`;
    const code = await create(api, { url });
    let warmups = 0;
    const spy = spyOn(api.runtime.deps.redisCache, api.runtime.deps.pool);
    try {
      // Cold: LRU emptied, so this one goes to Redis; it proves the spy sees lookups.
      api.runtime.deps.resolver.clear();
      assert.equal((await api.http.get(`/${code}`).redirects(0)).status, 307);
      assert.ok(spy.redis.some(isLookup), `cold lookup not seen: ${spy.redis.join(', ')}`);
      // Measure hits only: these extra redirects (clicks too) happen when others' evictions dropped the lookup.
      warmups = await cacheInLru(api, code);
      spy.reset();

      for (let i = 0; i < 50; i++) {
        const res = await api.http.get(`/${code}`).redirects(0);
        assert.equal(res.status, 307);
        assert.equal(res.headers.location, url);
      }
      await api.runtime.deps.clicks.flush();
      assert.deepEqual(spy.redis, [], 'a cache hit and its click send nothing to Redis');
      assert.deepEqual(spy.sql, []);
      assert.equal(spy.acquires, 0);
    } finally {
      spy.restore();
    }
    await expectClicks(api, code, 51 + warmups);
  });

  it('concurrent misses of one code make one Redis lookup and one query', async () => {
    const code = await create(api, { url: `https://example.com/flight/${randomCode()}` });
    const { resolver, redisCache, pool } = api.runtime.deps;
    await redisCache.del(linkCacheKey(code));
    resolver.clear();
    const spy = spyOn(redisCache, pool);
    try {
      const urls = await Promise.all(Array.from({ length: 25 }, () => resolver.resolve(code)));
      assert.equal(new Set(urls).size, 1);
      assert.equal(spy.redis.filter(isLookup).length, 1);
      assert.equal(spy.sql.filter(isSelect).length, 1);
      // The miss filled Redis for the next replica.
      assert.ok(await eventually(async () => (await redisCache.exists(linkCacheKey(code))) === 1, 2000));
    } finally {
      spy.restore();
    }
  });

  it('an unknown code is cached negatively: in the LRU, then in Redis for a cold process', async () => {
    const code = randomCode(11);
    const { resolver, redisCache, pool } = api.runtime.deps;
    const spy = spyOn(redisCache, pool);
    try {
      assert.equal((await api.http.get(`/${code}`)).status, 404);
      assert.equal(spy.sql.filter(isSelect).length, 1);
      await cacheInLru(api, code);
      spy.reset();
      for (let i = 0; i < 10; i++) assert.equal((await api.http.get(`/${code}`)).status, 404);
      assert.deepEqual([spy.redis, spy.sql], [[], []]);

      assert.ok(await eventually(async () => (await redisCache.exists(missingLinkKey(code))) === 1, 2000));
      resolver.clear();
      assert.equal((await api.http.get(`/${code}`)).status, 404);
      assert.equal(spy.sql.length, 0, 'the Redis marker answered, not PostgreSQL');
      assert.equal(spy.redis.filter(isLookup).length, 1);
    } finally {
      spy.restore();
    }
  });

  it('creating a code another replica cached as missing evicts that entry there', async () => {
    const code = randomCode(12);
    assert.equal((await replica.http.get(`/${code}`)).status, 404);
    await cacheInLru(replica, code);
    assert.equal(replica.runtime.deps.resolver.peek(code), null, 'the replica cached the miss');
    await create(api, { url: 'https://example.com/evicted', custom_code: code });
    assert.ok(
      await eventually(() => replica.runtime.deps.resolver.peek(code) === undefined, 2000),
      'eviction reached the replica',
    );
    const res = await replica.http.get(`/${code}`).redirects(0);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, 'https://example.com/evicted');
  });

  it('with PostgreSQL unreachable, a miss is a 503, never a 404; stats and creates are 503 too', async () => {
    const dead = new URL(api.config.DATABASE_URL);
    dead.port = String(DEAD_PORT);
    const down = await startApi({ DATABASE_URL: dead.toString() }, { migrate: false });
    try {
      const code = randomCode(12);
      const res = await down.http.get(`/${code}`).redirects(0);
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { detail: 'Database unavailable' });
      assert.equal(down.runtime.deps.resolver.peek(code), undefined, 'a failure is not cached as missing');
      assert.equal((await down.http.get(`/api/stats/${code}`)).status, 503);
      const created = await down.http.post('/api/shorten').send({ url: 'https://example.com', custom_code: code });
      assert.equal(created.status, 503);
    } finally {
      await down.close();
    }
  });
});
