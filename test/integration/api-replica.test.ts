/** REDIS_REPLICA_URL: cached links are read from the replica, written to the primary. */
import assert from 'node:assert/strict';
import { linkCacheKey } from '../../db/link-cache';
import { createRedis } from '../../infra/clients';
import { startApi, randomCode, type ApiHarness } from '../helpers/api';
import { testConfig } from '../helpers/test-config';

describe('API with a Redis read replica', function () {
  this.timeout(30_000);
  let api: ApiHarness;
  // A second Redis standing in for the replica: the queue instance, on a database nothing else uses.
  const replicaUrl = `${testConfig().QUEUE_REDIS_URL.replace(/\/\d*$/, '')}/9`;
  const replica = createRedis(testConfig({ REDIS_URL: replicaUrl }), 'cache');

  before(async () => {
    api = await startApi({ REDIS_REPLICA_URL: replicaUrl });
  });
  after(async () => {
    await api.close();
    replica.disconnect();
  });

  it('answers a redirect from the replica, not the primary', async () => {
    const code = randomCode(10);
    const created = await api.http.post('/api/shorten').send({ url: 'https://example.com/primary', custom_code: code });
    assert.equal(created.status, 201);
    // Only the replica knows this URL; a redirect that shows it read the replica.
    const payload = JSON.parse((await api.runtime.deps.redisCache.get(linkCacheKey(code))) ?? 'null') as Record<string, unknown>;
    assert.ok(payload, 'the primary holds the cached link after create');
    await replica.set(linkCacheKey(code), JSON.stringify({ ...payload, original_url: 'https://example.com/replica' }), 'EX', 60);
    api.runtime.deps.resolver.clear();
    const res = await api.http.get(`/${code}`);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, 'https://example.com/replica');
    await replica.del(linkCacheKey(code));
  });
});
