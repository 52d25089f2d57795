/** The local ID pool: hands out each reserved ID once, in block order, and nothing it was not given. */
import assert from 'node:assert/strict';
import { createIdPool } from '../../queues/keygen/pool';

describe('keygen local pool', () => {
  it('hands out every ID of its blocks exactly once, then reports empty', () => {
    const pool = createIdPool();
    assert.equal(pool.take(), undefined);
    pool.add({ start: 10, end: 13 });
    pool.add({ start: 100, end: 102 });
    assert.equal(pool.available(), 5);
    const got = [pool.take(), pool.take(), pool.take(), pool.take(), pool.take()];
    assert.deepEqual(got, [10, 11, 12, 100, 101]);
    assert.equal(pool.available(), 0);
    assert.equal(pool.take(), undefined);
  });

  it('forgets held IDs on drain', () => {
    const pool = createIdPool();
    pool.add({ start: 0, end: 1000 });
    pool.take();
    pool.drain();
    assert.equal(pool.available(), 0);
    assert.equal(pool.take(), undefined);
  });
});
