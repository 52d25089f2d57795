/** Creates the click topics when missing (the broker does not auto-create them). */
import type { Kafka } from 'kafkajs';
import type { Config } from '../infra/config';
import { kafkaNames } from './names';

/** Ensures the click topic (KAFKA_TOPIC_PARTITIONS partitions) and its dead-letter topic exist. */
export async function ensureTopics(kafka: Kafka, config: Config): Promise<void> {
  const { clickTopic, deadLetterTopic } = kafkaNames(config);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [
      { topic: clickTopic, numPartitions: config.KAFKA_TOPIC_PARTITIONS },
      { topic: deadLetterTopic, numPartitions: 1 },
    ].filter((t) => !existing.has(t.topic));
    if (topics.length) await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
