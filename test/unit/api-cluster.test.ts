/** The cluster primary's merge of every API process's click offsets (api/cluster.ts). */
import assert from 'node:assert/strict';
import os from 'node:os';
import { apiWorkerCount, mergeOffsets } from '../../api/cluster';

describe('API cluster', () => {
  it('merges offsets per partition, keeping the highest any process reached', () => {
    const merged = mergeOffsets([
      [[0, '10'], [1, '5']],
      [[1, '7'], [2, '3']],
      [[0, '9'], [2, '12345678901234567890']],
    ]);
    assert.deepEqual(new Map(merged), new Map([[0, '10'], [1, '7'], [2, '12345678901234567890']]));
  });

  it('merges nothing into nothing (no process sent a click)', () => {
    assert.deepEqual(mergeOffsets([]), []);
    assert.deepEqual(mergeOffsets([[], []]), []);
  });

  it('API_WORKERS=0 means one process per core', () => {
    assert.equal(apiWorkerCount({ API_WORKERS: 3 }), 3);
    assert.equal(apiWorkerCount({ API_WORKERS: 0 }), os.availableParallelism());
  });
});
