import assert from 'node:assert/strict';
import { LOCAL_PORTS, parseConfig } from '../../infra/config';

describe('config', () => {
  it('defaults to the local stack', () => {
    const r = parseConfig({});
    assert.ok(r.ok);
    assert.equal(r.config.DATABASE_URL, `postgres://postgres@127.0.0.1:${LOCAL_PORTS.postgres}/linkhop`);
    assert.deepEqual(r.config.KAFKA_BOOTSTRAP_SERVERS, [`127.0.0.1:${LOCAL_PORTS.kafka}`]);
    assert.equal(r.config.KAFKA_CLICK_TOPIC, 'click_events');
    assert.equal(r.config.PORT, LOCAL_PORTS.api);
    assert.equal(r.config.BASE_URL, `http://127.0.0.1:${LOCAL_PORTS.api}`);
    assert.ok(Object.isFrozen(r.config));
  });

  it("accepts the replaced system's variable names and values", () => {
    const r = parseConfig({
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
    const r = parseConfig({ PORT: 'eighty', ID_BLOCK_SIZE: '0', RATE_LIMIT_ENABLED: 'maybe', SHORT_CODE_LENGTH: '8' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    for (const name of ['PORT', 'ID_BLOCK_SIZE', 'RATE_LIMIT_ENABLED', 'SHORT_CODE_LENGTH']) {
      assert.ok(r.problems.some((p) => p.startsWith(`${name}:`)), `${name} missing from ${r.problems.join('; ')}`);
    }
  });

  it('refuses the published development key in production', () => {
    const r = parseConfig({ NODE_ENV: 'production' });
    assert.equal(r.ok, false);
    assert.ok(parseConfig({ NODE_ENV: 'production', SHORT_CODE_KEY: 'a-real-secret-of-some-length' }).ok);
  });
});
