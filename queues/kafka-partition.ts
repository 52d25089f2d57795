/**
 * The partition Kafka's default partitioner (the Java client's, which kafkajs's DefaultPartitioner copies)
 * picks for a key: toPositive(murmur2(key bytes)) % partitions. kafkajs computes murmur2 with an emulated
 * 64-bit Long, a few microseconds per key, which was the largest cost of packing a click after the visitor
 * HMAC; 32-bit Math.imul gives the same low 32 bits (all that murmur2 keeps) for a fraction of that.
 * test/unit/kafka-partition.test.ts checks both agree.
 */

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** murmur2 of the bytes, as a signed 32-bit integer (the Java client's Utils.murmur2). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail bytes, as the Java client's switch falls through them.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2] << 16;
    if (tail >= 2) h ^= data[whole + 1] << 8;
    h ^= data[whole];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const ASCII = /^[\x00-\x7f]*$/;
const scratch = new Uint8Array(64);

/** The default partitioner's partition for a string key among `partitions`. */
export function partitionOfKey(key: string, partitions: number): number {
  let bytes: Uint8Array;
  // Short codes are ASCII: their UTF-8 bytes are their char codes, with no Buffer per key.
  if (key.length <= scratch.length && ASCII.test(key)) {
    for (let i = 0; i < key.length; i++) scratch[i] = key.charCodeAt(i);
    bytes = scratch.subarray(0, key.length);
  } else {
    bytes = Buffer.from(key);
  }
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
