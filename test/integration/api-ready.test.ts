/** /ready gates only on what the API serves from (PostgreSQL, the cache Redis); /health reports everything. */
import assert from 'node:assert/strict';
import { waitUntil } from '../../infra/wait';
import { startApi, type ApiHarness } from '../helpers/api';
import { DEAD_PORT } from '../helpers/keygen';

describe('readiness (integration)', function () {
  this.timeout(60_000);
  const apis: ApiHarness[] = [];
  after(async () => {
    await Promise.all(apis.map((a) => a.close()));
  });

  it('stays ready with the queue Redis down (reported, not gated), and still creates links', async () => {
    const api = await startApi({ QUEUE_REDIS_URL: `redis://127.0.0.1:${DEAD_PORT}/0` });
    apis.push(api);
    // The cache Redis connects in the background; readiness follows it.
    let ready = await api.http.get('/ready');
    await waitUntil(async () => (ready = await api.http.get('/ready')).status === 200, { timeoutMs: 10_000, describe: () => ready.text });
    assert.equal(ready.body.checks.redis_queue, 'unhealthy');
    const health = await api.http.get('/health');
    assert.equal(health.status, 503);
    assert.equal(health.body.checks.redis_queue, 'unhealthy');
    const created = await api.http.post('/api/shorten').send({ url: 'https://example.com/ready' });
    assert.equal(created.status, 201, created.text);
  });

  it('reports Temporal through its gRPC health check: healthy on the stack, unhealthy on a dead address', async () => {
    const live = await startApi();
    apis.push(live);
    let health = await live.http.get('/health');
    await waitUntil(async () => (health = await live.http.get('/health')).body.checks?.temporal === 'healthy', { timeoutMs: 10_000, describe: () => health.text });
    const dead = await startApi({ TEMPORAL_ADDRESS: `127.0.0.1:${DEAD_PORT}` });
    apis.push(dead);
    const report = await dead.http.get('/health');
    assert.equal(report.status, 503);
    assert.equal(report.body.checks.temporal, 'unhealthy');
    assert.equal(report.body.checks.postgres, 'healthy');
  });
});
