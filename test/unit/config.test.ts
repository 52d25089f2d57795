import assert from 'node:assert/strict';
import { LOCAL_PORTS, TEST_SHORT_CODE_KEY, parseConfig } from '../../infra/config';
import { deploymentNames } from '../../infra/deployment';

describe('config', () => {
  it('defaults to the local stack', () => {
    const r = parseConfig({ NODE_ENV: 'test' });
    assert.ok(r.ok);
    assert.equal(r.config.DATABASE_URL, `postgres://postgres@127.0.0.1:${LOCAL_PORTS.postgres}/linkhop`);
    assert.deepEqual(r.config.KAFKA_BOOTSTRAP_SERVERS, [`127.0.0.1:${LOCAL_PORTS.kafka}`]);
    assert.equal(deploymentNames(r.config).clickTopic, 'click_events');
    assert.equal(r.config.PORT, LOCAL_PORTS.api);
    assert.equal(r.config.BASE_URL, `http://127.0.0.1:${LOCAL_PORTS.api}`);
    assert.ok(Object.isFrozen(r.config));
  });

  it("accepts the replaced system's variable names and values", () => {
    const r = parseConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      REDIS_URL: 'redis://cache:6379/0',
      KAFKA_BOOTSTRAP_SERVERS: 'k1:9092, k2:9092',
      KAFKA_CLICK_TOPIC: 'click_events',
      CLICKHOUSE_URL: 'http://ch:8123',
      BASE_URL: 'https://sho.rt/',
      SHORT_CODE_LENGTH: '7',
      ID_BLOCK_SIZE: '500',
      ID_ALLOCATOR_KEY: 'id_allocator:url',
      CLICK_BUFFER_KEY_PREFIX: 'click_buffer',
      INGESTION_FLUSH_INTERVAL_SECONDS: '5',
      INGESTION_CONSUMER_GROUP: 'click_ingestion_group',
      CACHE_WARMER_TOP_N: '5000',
      CACHE_WARMER_INTERVAL_SECONDS: '30',
    });
    assert.ok(r.ok);
    assert.deepEqual(r.config.KAFKA_BOOTSTRAP_SERVERS, ['k1:9092', 'k2:9092']);
    assert.equal(r.config.BASE_URL, 'https://sho.rt');
    assert.equal(r.config.ID_BLOCK_SIZE, 500);
  });

  it('reports every problem at once', () => {
    const r = parseConfig({ NODE_ENV: 'test', PORT: 'eighty', ID_BLOCK_SIZE: '0', RATE_LIMIT_ENABLED: 'maybe', SHORT_CODE_LENGTH: '8' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    for (const name of ['PORT', 'ID_BLOCK_SIZE', 'RATE_LIMIT_ENABLED', 'SHORT_CODE_LENGTH']) {
      assert.ok(r.problems.some((p) => p.startsWith(`${name}:`)), `${name} missing from ${r.problems.join('; ')}`);
    }
  });

  it('refuses the published development key in production, and a missing key outside tests', () => {
    const published = parseConfig({ NODE_ENV: 'production', SHORT_CODE_KEY: TEST_SHORT_CODE_KEY });
    assert.equal(published.ok, false);
    if (!published.ok) assert.match(published.problems.join(), /^SHORT_CODE_KEY: .*production/);
    for (const NODE_ENV of ['production', 'development']) {
      const missing = parseConfig({ NODE_ENV });
      assert.equal(missing.ok, false, NODE_ENV);
      if (!missing.ok) assert.match(missing.problems.join(), /^SHORT_CODE_KEY: not set/);
    }
    assert.ok(parseConfig({ NODE_ENV: 'production', SHORT_CODE_KEY: 'a-real-secret-of-some-length' }).ok);
    const test = parseConfig({ NODE_ENV: 'test' });
    assert.ok(test.ok && test.config.SHORT_CODE_KEY === TEST_SHORT_CODE_KEY, 'tests keep a fixed key');
  });

  it('names the setting when a connection URL is garbage', () => {
    const r = parseConfig({ NODE_ENV: 'test', DATABASE_URL: 'garbage', REDIS_URL: 'localhost:6379', CLICKHOUSE_URL: 'ftp://x' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'CLICKHOUSE_URL']) {
      assert.ok(r.problems.some((p) => p.startsWith(`${name}: must be a URL like`)), `${name}: ${r.problems.join('; ')}`);
    }
  });

  it('takes the client address from the configured number of proxy hops', () => {
    const hops = (env: Record<string, string>) => {
      const r = parseConfig({ NODE_ENV: 'test', ...env });
      assert.ok(r.ok);
      return r.config.TRUST_PROXY_HOPS;
    };
    assert.equal(hops({}), 0);
    assert.equal(hops({ TRUST_PROXY: 'true' }), 1, "the replaced system's switch means one hop");
    assert.equal(hops({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2' }), 2);
  });
});
