import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { partitionOfKey } from '../../queues/kafka-partition';

// kafkajs's own partitioner is the reference: the consumers and the read-your-own-clicks offsets rely on
// a code always landing where Kafka's default partitioner puts it.
function kafkajsPartition(key: string, n: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
  return partitioner({ topic: 't', partitionMetadata: partitionMetadata as never, message: { key, value: null } });
}

describe('partitionOfKey', () => {
  it("agrees with kafkajs's default partitioner for keys of every length and partition counts", () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'b1234probe', 'héllo-wörld', 'x'.repeat(70)];
    for (let i = 0; i < 2000; i++) keys.push(randomBytes(1 + (i % 40)).toString('base64url').slice(0, 1 + (i % 40)));
    for (const n of [1, 2, 3, 6, 7, 12, 100]) {
      for (const key of keys) assert.equal(partitionOfKey(key, n), kafkajsPartition(key, n), `key ${JSON.stringify(key)}, ${n} partitions`);
    }
  });
});
