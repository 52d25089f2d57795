/** Every queue, job, topic, group, workflow and schedule name in one place. */
import type { Config } from '../infra/config';

export const KEYGEN_QUEUE = 'keygen';
export const KEYGEN_REFILL_JOB = 'refill';

export const WORKFLOW_FLUSH_CLICKS = 'flushClicksWorkflow';
export const WORKFLOW_WARM_CACHE = 'warmCacheWorkflow';
export const SCHEDULE_FLUSH_CLICKS = 'flush-clicks';
export const SCHEDULE_WARM_CACHE = 'warm-cache';

/** Kafka names come from config so an operator can keep the seed's topic and group. */
export function kafkaNames(config: Config): { clickTopic: string; deadLetterTopic: string; group: string } {
  return {
    clickTopic: config.KAFKA_CLICK_TOPIC,
    deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC,
    group: config.INGESTION_CONSUMER_GROUP,
  };
}
