/**
 * The Redis click buffer against the real cache Redis: pending() is exact while batches are on the wire
 * (no click missed, none counted twice), and a batch is one round trip however many clicks it holds.
 */
import assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { createRedis } from '../../infra/clients';
import { createLogger } from '../../observability/logger';
import { createClickBuffer } from '../../queues/click-buffer';
import { randomCode, spyOn } from '../helpers/api';
import { testConfig } from '../helpers/test-config';

describe('API: Redis click buffer (integration)', function () {
  this.timeout(30_000);
  const prefix = `test_click_buffer_${randomCode(8)}`;
  const config = testConfig({ CLICK_BUFFER_KEY_PREFIX: prefix });
  const log = createLogger('click-buffer-test', config.LOG_LEVEL);
  let redis: Redis;

  before(() => {
    redis = createRedis(config, 'cache', log, { enableOfflineQueue: true });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const click = (shortCode: string) => ({ shortCode, at: new Date(), referrer: '', userAgent: 'test', ip: '127.0.0.1' });

  it('pending() equals the clicks recorded so far at every moment, batches in flight or not', async () => {
    // Tiny batches sent as fast as possible: most pending() reads overlap a batch on the wire.
    const sink = createClickBuffer({ redis, config, log, flushIntervalMs: 0, maxBatchClicks: 3 });
    const codes = [randomCode(10), randomCode(10)];
    const recorded = new Map(codes.map((c) => [c, 0]));
    const mismatches: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const code = codes[i % 2];
      sink.record(click(code));
      recorded.set(code, (recorded.get(code) ?? 0) + 1);
      if (i % 5 === 0) {
        const expected = recorded.get(code);
        const seen = await sink.pending(code);
        if (seen !== expected) mismatches.push(`#${i} ${code}: ${seen} != ${expected}`);
      } else if (i % 11 === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    assert.deepEqual(mismatches.slice(0, 10), []);
    await sink.flush();
    for (const code of codes) {
      assert.equal(await redis.get(`${prefix}:${code}`), String(recorded.get(code)));
      assert.equal(await sink.pending(code), recorded.get(code));
    }
  });

  it('applies a burst of clicks in a few round trips, not one per click', async () => {
    const sink = createClickBuffer({ redis, config, log });
    const code = randomCode(10);
    const spy = spyOn(redis, { query: () => undefined, on: () => undefined, off: () => undefined } as never);
    try {
      for (let i = 0; i < 500; i++) sink.record(click(code));
      await sink.flush();
      assert.ok(spy.redis.length >= 1 && spy.redis.length <= 3, `round trips: ${spy.redis.length}`);
      assert.ok(spy.redis.every((c) => c.startsWith('EVAL ')));
    } finally {
      spy.restore();
    }
    assert.equal(await redis.get(`${prefix}:${code}`), '500');
  });
});
