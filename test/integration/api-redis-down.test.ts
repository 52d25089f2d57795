/**
 * The cache Redis really stopped (and always restarted): redirects fall back to PostgreSQL, /health says the
 * cache is unhealthy with a 503, clicks are still counted (Kafka and the queue Redis do not need the cache),
 * and everything recovers without restarting the API.
 */
import assert from 'node:assert/strict';
import { linkCacheKey } from '../../db/link-cache';
import { insertLink } from '../../db/links';
import { startService, stopService } from '../../infra/stack';
import { LINK_EVICT_CHANNEL } from '../../db/link-cache';
import { eventually, expectClicks, randomCode, startApi, type ApiHarness } from '../helpers/api';

describe('API: cache Redis down and back (integration)', function () {
  this.timeout(90_000);
  let api: ApiHarness;

  before(async () => {
    api = await startApi({}, { counter: true });
  });
  after(() => api?.close());

  const health = async () => (await api.http.get('/health')).body as { status: string; cache: string; database: string };

  it('serves known codes from PostgreSQL while Redis is down, answers 503 on /health, and recovers', async () => {
    const { deps } = api.runtime;
    const viaApi = `https://example.com/cached/${randomCode()}`;
    const cachedCode = (await api.http.post('/api/shorten').send({ url: viaApi })).body.short_code as string;
    // A link Redis has never seen, so only PostgreSQL can answer for it.
    const dbOnly = await insertLink(deps.db, randomCode(12), `https://example.com/db-only/${randomCode()}`);
    assert.ok(dbOnly);

    let stopped = false;
    try {
      await stopService('redis-cache');
      stopped = true;
      deps.resolver.clear();

      const first = await api.http.get(`/${cachedCode}`).redirects(0);
      assert.equal(first.status, 307);
      assert.equal(first.headers.location, viaApi);
      const second = await api.http.get(`/${dbOnly.shortCode}`).redirects(0);
      assert.equal(second.status, 307);
      assert.equal(second.headers.location, dbOnly.originalUrl);
      assert.equal((await api.http.get(`/${randomCode(12)}`)).status, 404, 'PostgreSQL still says what is missing');
      assert.equal((await api.http.get(`/${dbOnly.shortCode}`).redirects(0)).status, 307);

      assert.ok(await eventually(async () => (await health()).cache === 'unhealthy', 5000), 'cache reported unhealthy');
      const res = await api.http.get('/health');
      assert.equal(res.status, 503);
      assert.equal(res.body.status, 'unhealthy');
      assert.equal(res.body.database, 'healthy');

      // Creation still works; the cache write is best effort.
      const created = await api.http.post('/api/shorten').send({ url: 'https://example.com/while-down' });
      assert.equal(created.status, 201);
      // Two GET clicks on dbOnly so far: the click path never touches the cache Redis, so both are counted
      // while it is down, exactly once.
      await expectClicks(api, dbOnly.shortCode, 2);
      await expectClicks(api, cachedCode, 1);
    } finally {
      if (stopped) await startService('redis-cache');
    }

    assert.ok(await eventually(async () => (await health()).cache === 'healthy', 15_000), 'cache healthy again');
    assert.equal(deps.redisCache.status, 'ready');
    // The cache is used again: a miss writes url:<code> back, and the eviction subscription is live again.
    deps.resolver.clear();
    assert.equal((await api.http.get(`/${dbOnly.shortCode}`).redirects(0)).status, 307);
    assert.ok(await eventually(async () => (await deps.redisCache.exists(linkCacheKey(dbOnly.shortCode))) === 1, 3000));
    // Counting goes on after the recovery: the third click joins the two from the outage, none counted again.
    await expectClicks(api, dbOnly.shortCode, 3);
    const code = randomCode(12);
    assert.equal((await api.http.get(`/${code}`)).status, 404);
    await deps.redisCache.publish(LINK_EVICT_CHANNEL, code);
    assert.ok(await eventually(() => deps.resolver.peek(code) === undefined, 5000), 'evictions heard after reconnect');
  });
});
