/** The short-code codec: a bijection on the 62^7 space, strict about its input, and not enumerable. */
import assert from 'node:assert/strict';
import { ALPHABET, CODE_SPACE, createCodec } from '../../queues/keygen/codec';

const codec = createCodec('unit-test-key-0123456789');
const CODE = /^[0-9a-zA-Z]{7}$/;

/** A deterministic pseudo-random ID in [0, 62^7) (xorshift), so a failure reproduces. */
function* ids(count: number, seed = 0x9e3779b9): Generator<number> {
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const hi = s % 2 ** 21;
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    yield (hi * 2 ** 21 + (s % 2 ** 21)) % CODE_SPACE;
  }
}

describe('keygen codec', () => {
  it('uses the seed alphabet: digits, then lower, then upper', () => {
    assert.equal(ALPHABET, '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');
    assert.equal(CODE_SPACE, 3_521_614_606_208);
  });

  it('round-trips the edge IDs 0, 1 and 62^7 - 1', () => {
    for (const id of [0, 1, 2, 61, 62, 2 ** 21, 2 ** 32, CODE_SPACE - 2, CODE_SPACE - 1]) {
      const code = codec.encode(id);
      assert.match(code, CODE);
      assert.equal(codec.decode(code), id, `id ${id} -> ${code}`);
    }
  });

  it('round-trips 100,000 random IDs, each to a distinct 7-character code', () => {
    const seen = new Set<string>();
    for (const id of ids(100_000)) {
      const code = codec.encode(id);
      assert.match(code, CODE);
      assert.equal(codec.decode(code), id);
      seen.add(code);
    }
    // The generator may repeat an ID; what matters is that distinct IDs never share a code.
    const distinctIds = new Set(ids(100_000)).size;
    assert.equal(seen.size, distinctIds);
  });

  it('decodes every code back to an ID that encodes to it (the map is onto)', () => {
    for (const id of ids(10_000, 12345)) {
      // Treat the random value as a code this time: any code of the space must be reachable.
      const code = createCodec('another-key-abcdefghijkl').encode(id);
      assert.equal(codec.encode(codec.decode(code)), code);
    }
  });

  it('rejects IDs outside [0, 62^7) and non-integers with a RangeError instead of wrapping', () => {
    for (const bad of [-1, CODE_SPACE, CODE_SPACE + 1, 2 ** 53, 1.5, NaN, Infinity]) {
      assert.throws(() => codec.encode(bad), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, /short code ID must be an integer in \[0, 62\^7\)/);
        return true;
      }, `encode(${bad})`);
    }
    assert.throws(() => codec.encode('5' as unknown as number), RangeError);
  });

  it('rejects malformed codes with a RangeError', () => {
    for (const bad of ['', 'abc', 'abcdefgh', 'abc-efg', 'abcdéfg', 'abc efg']) {
      assert.throws(() => codec.decode(bad), RangeError, `decode(${JSON.stringify(bad)})`);
    }
  });

  it('gives neighbouring IDs codes that differ in most positions', () => {
    let totalDiff = 0;
    let minDiff = 7;
    const pairs = 10_000;
    for (let id = 0; id < pairs; id++) {
      const a = codec.encode(id);
      const b = codec.encode(id + 1);
      let diff = 0;
      for (let i = 0; i < 7; i++) if (a[i] !== b[i]) diff++;
      totalDiff += diff;
      minDiff = Math.min(minDiff, diff);
    }
    // Unrelated codes differ in 7 * 61/62 = 6.89 positions on average.
    assert.ok(totalDiff / pairs > 6.5, `mean differing positions ${totalDiff / pairs}`);
    assert.ok(minDiff >= 3, `some neighbours differ in only ${minDiff} positions`);
    // And no visible order: codes of consecutive IDs are not sorted.
    const codes = Array.from({ length: 1000 }, (_, i) => codec.encode(i));
    assert.notDeepEqual(codes, [...codes].sort());
  });

  it('depends on the key: another key maps the same IDs to other codes', () => {
    const other = createCodec('a-different-secret-key!!');
    let same = 0;
    for (let id = 0; id < 1000; id++) if (other.encode(id) === codec.encode(id)) same++;
    assert.ok(same <= 1, `${same} of 1000 codes equal under two keys`);
  });
});
