/** Moves malformed click messages to the dead-letter topic, with the reason and their origin in headers. */
import type { KafkaMessage } from 'kafkajs';
import { clicksDeadLettered } from '../../observability/click-metrics';
import type { SafeProducer } from '../kafka-producer';

export interface Rejected {
  message: KafkaMessage;
  error: string;
}

export type DeadLetter = (topic: string, partition: number, rejected: readonly Rejected[]) => Promise<void>;

/** Builds the dead-letter writer; it resolves only once the broker has the messages (acks=all). */
export function createDeadLetter(producer: SafeProducer, deadLetterTopic: string, group: string): DeadLetter {
  return async (topic, partition, rejected) => {
    if (rejected.length === 0) return;
    await producer.send({
      topic: deadLetterTopic,
      messages: rejected.map(({ message, error }) => ({
        key: message.key,
        value: message.value,
        headers: {
          error: error.slice(0, 1000),
          source_topic: topic,
          source_partition: String(partition),
          source_offset: message.offset,
          consumer_group: group,
        },
      })),
    });
    clicksDeadLettered.inc(rejected.length);
  };
}
