/** The group committer: one commit per event-loop turn, bounded batches and concurrency, per-item outcomes. */
import assert from 'node:assert/strict';
import { createGroupCommit } from '../../infra/group-commit';
import { firstPerCode, type CreateRequest } from '../../api/link-writer';

/** A commit that records its batches and answers each item doubled, once released. */
function recorder() {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const commit = (items: readonly number[]) => {
    batches.push([...items]);
    return new Promise<number[]>((resolve) => releases.push(() => resolve(items.map((i) => i * 2))));
  };
  const releaseAll = () => releases.splice(0).forEach((r) => r());
  return { batches, commit, releaseAll };
}

describe('group commit', () => {
  it('commits the items of one turn together and answers each with its own outcome', async () => {
    const r = recorder();
    const gc = createGroupCommit({ maxBatch: 100, maxInFlight: 1, commit: r.commit });
    const answers = [1, 2, 3].map((i) => gc.submit(i));
    assert.equal(r.batches.length, 0, 'nothing commits before the turn ends');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(r.batches, [[1, 2, 3]]);
    assert.equal(gc.pending(), 3);
    r.releaseAll();
    assert.deepEqual(await Promise.all(answers), [2, 4, 6]);
    assert.equal(gc.pending(), 0);
  });

  it('cuts batches at maxBatch and runs at most maxInFlight at once; later items join the next batch', async () => {
    const r = recorder();
    const gc = createGroupCommit({ maxBatch: 2, maxInFlight: 1, commit: r.commit });
    const answers = [1, 2, 3, 4, 5].map((i) => gc.submit(i));
    // The first full batch starts at once; the rest wait for it.
    assert.deepEqual(r.batches, [[1, 2]]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(r.batches, [[1, 2]], 'the in-flight bound holds the rest back');
    const six = gc.submit(6);
    r.releaseAll();
    await answers[1];
    assert.deepEqual(r.batches, [[1, 2], [3, 4]]);
    r.releaseAll();
    await answers[3];
    assert.deepEqual(r.batches, [[1, 2], [3, 4], [5, 6]]);
    r.releaseAll();
    assert.deepEqual(await Promise.all([...answers, six]), [2, 4, 6, 8, 10, 12]);
  });

  it('a failed commit rejects every item of its batch and only those', async () => {
    let calls = 0;
    const gc = createGroupCommit<number, number>({
      maxBatch: 2,
      maxInFlight: 2,
      commit: async (items) => {
        calls++;
        if (items.includes(1)) throw new Error('database down');
        return items.map((i) => i * 2);
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => gc.submit(i)));
    assert.equal(calls, 2);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'fulfilled']);
    assert.equal((results[0] as PromiseRejectedResult).reason.message, 'database down');
    assert.equal((results[2] as PromiseFulfilledResult<number>).value, 6);
  });

  it('a commit that answers the wrong number of outcomes fails its items instead of misrouting answers', async () => {
    const gc = createGroupCommit<number, number>({ maxBatch: 10, maxInFlight: 1, commit: async () => [1] });
    const results = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  });

  it('refuses bounds below 1', () => {
    assert.throws(() => createGroupCommit({ maxBatch: 0, maxInFlight: 1, commit: async () => [] }), RangeError);
    assert.throws(() => createGroupCommit({ maxBatch: 1, maxInFlight: 0, commit: async () => [] }), RangeError);
  });
});

describe('link writer: one insert per code and batch', () => {
  const req = (code: string, custom: boolean): CreateRequest => ({ link: { shortCode: code, originalUrl: 'https://example.com/' }, custom });

  it('keeps the first create of each code and marks later ones as duplicates (case-sensitive, like the table)', () => {
    const { unique, duplicate } = firstPerCode([req('promo', true), req('abc1234', false), req('promo', true), req('Promo', true), req('abc1234', true)]);
    assert.deepEqual(unique.map((r) => r.link.shortCode), ['promo', 'abc1234', 'Promo']);
    assert.deepEqual(duplicate, [false, false, true, false, true]);
  });
});
