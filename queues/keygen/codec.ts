/**
 * Short codes from IDs: a keyed Feistel permutation of the 7-character base-62 space, so that codes are
 * unique exactly when IDs are, and neighbouring IDs give unrelated codes (the seed's were enumerable).
 */
import { createHmac } from 'node:crypto';

/** digits, then lower, then upper: the seed's alphabet, so existing codes keep their meaning. */
export const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const CODE_LENGTH = 7;
/** 62^7 = 3,521,614,606,208 IDs; below 2^42, so every value stays an exact double. */
export const CODE_SPACE = 62 ** CODE_LENGTH;

const HALF_BITS = 21;
const HALF = 2 ** HALF_BITS;
const HALF_MASK = HALF - 1;
// 8 rounds: each output bit depends on every input bit several times over, which 3-4 rounds do not give.
const ROUNDS = 8;

const CHAR_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DIGIT_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT_OF[ALPHABET.charCodeAt(i)] = i;

export interface Codec {
  /** The code of `id`; throws RangeError unless `id` is an integer in [0, 62^7). */
  encode(id: number): string;
  /** The ID of `code`; throws RangeError unless it is 7 characters of the alphabet. */
  decode(code: string): number;
}

/** Builds the codec for a secret key; the round keys are derived once here, never per call. */
export function createCodec(secret: string): Codec {
  if (secret.length === 0) throw new RangeError('SHORT_CODE_KEY must not be empty');
  const k1 = new Uint32Array(ROUNDS);
  const k2 = new Uint32Array(ROUNDS);
  for (let i = 0; i < ROUNDS; i++) {
    const digest = createHmac('sha256', secret).update(`linkhop/keygen/feistel/v1/round/${i}`).digest();
    k1[i] = digest.readUInt32BE(0);
    k2[i] = digest.readUInt32BE(4);
  }

  // A keyed 32-bit integer mix (lowbias32 constants): cheap, allocation-free, and good avalanche.
  const round = (half: number, i: number): number => {
    let x = (half ^ k1[i]) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = (x ^ (x >>> 15)) + k2[i];
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    return (x ^ (x >>> 16)) & HALF_MASK;
  };

  const forward = (v: number): number => {
    let l = Math.floor(v / HALF);
    let r = v % HALF;
    for (let i = 0; i < ROUNDS; i++) {
      const t = l ^ round(r, i);
      l = r;
      r = t;
    }
    return l * HALF + r;
  };

  // One scratch buffer per codec: encode is synchronous, so calls cannot interleave.
  const c = new Uint8Array(CODE_LENGTH);

  const backward = (v: number): number => {
    let l = Math.floor(v / HALF);
    let r = v % HALF;
    for (let i = ROUNDS - 1; i >= 0; i--) {
      const t = r ^ round(l, i);
      r = l;
      l = t;
    }
    return l * HALF + r;
  };

  return {
    encode(id) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= CODE_SPACE) {
        throw new RangeError(`short code ID must be an integer in [0, 62^7), got ${String(id)}`);
      }
      // Cycle-walking: the Feistel network permutes [0, 2^42); re-apply it until the value lands in
      // [0, 62^7). That restriction is still a bijection, and 80% of the space is hit on the first try.
      let v = forward(id);
      while (v >= CODE_SPACE) v = forward(v);
      for (let i = CODE_LENGTH - 1; i >= 0; i--) {
        const q = Math.floor(v / 62);
        c[i] = CHAR_CODES[v - q * 62];
        v = q;
      }
      return String.fromCharCode(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    },

    decode(code) {
      if (typeof code !== 'string' || code.length !== CODE_LENGTH) {
        throw new RangeError(`a short code is ${CODE_LENGTH} characters of 0-9a-zA-Z`);
      }
      let v = 0;
      for (let i = 0; i < CODE_LENGTH; i++) {
        const ch = code.charCodeAt(i);
        const d = ch < 128 ? DIGIT_OF[ch] : -1;
        if (d < 0) throw new RangeError(`a short code is ${CODE_LENGTH} characters of 0-9a-zA-Z`);
        v = v * 62 + d;
      }
      let id = backward(v);
      while (id >= CODE_SPACE) id = backward(id);
      return id;
    },
  };
}
