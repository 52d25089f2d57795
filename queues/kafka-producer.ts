/**
 * An idempotent kafkajs producer that starts over with a new producer id after any failed send: after a
 * failure its sequence numbers no longer say what the broker holds, and a later batch reusing them could
 * be taken for a duplicate and silently dropped. A copy that did land is deduplicated downstream by click_id.
 */
import { Partitioners, type Kafka, type Producer, type ProducerRecord, type RecordMetadata, type RetryOptions } from 'kafkajs';

export interface SafeProducer {
  /** Sends with acks=all; rejects (and drops the producer id) when the broker does not acknowledge. */
  send(record: Omit<ProducerRecord, 'acks'>): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

/** Builds the producer; it connects on the first send. */
export function createSafeProducer(kafka: Kafka, retry: RetryOptions): SafeProducer {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connect = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Java-compatible murmur2 on the key (short_code): one code's clicks stay on one partition.
        createPartitioner: Partitioners.DefaultPartitioner,
        retry,
      });
      try {
        await p.connect();
      } catch (err) {
        await p.disconnect().catch(() => undefined);
        throw err;
      }
      producer = p;
      return p;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const discard = async () => {
    const p = producer;
    producer = undefined;
    await p?.disconnect().catch(() => undefined);
  };

  return {
    async send(record) {
      try {
        const p = await connect();
        return await p.send({ ...record, acks: -1 });
      } catch (err) {
        await discard();
        throw err;
      }
    },
    disconnect: discard,
  };
}
