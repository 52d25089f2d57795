/**
 * Per-deployment names, derived in one place from DEPLOYMENT_PREFIX: two deployments on the same
 * PostgreSQL server, Redis, Kafka and Temporal (a test run beside development, the bench) share no topic,
 * group, key, queue or Schedule. It sits at the bottom layer so every folder can ask it.
 */
import type { Config } from './config';

/** Every name that must differ between two deployments sharing the same servers. */
export interface DeploymentNames {
  clickTopic: string;
  deadLetterTopic: string;
  /** The counting consumer group. */
  group: string;
  /** The analytics consumer group: its own offsets, so a ClickHouse outage never stalls the counters. */
  analyticsGroup: string;
  /** Prefix of the click pipeline's keys on the queue Redis (clickKeys). */
  clickKeyPrefix: string;
  /** BullMQ key prefix on the queue Redis. */
  queuePrefix: string;
  /** Queue Redis list of reserved ID blocks the keygen worker keeps topped up (queues/keygen/blocks.ts). */
  keygenBlocks: string;
  taskQueue: string;
  scheduleIds: { flushClicks: string; warmCache: string };
  /** Prefix of the create rate limit's window keys on the cache Redis. */
  rateLimitPrefix: string;
}

export type NameConfig = Pick<
  Config,
  'DEPLOYMENT_PREFIX' | 'KAFKA_CLICK_TOPIC' | 'KAFKA_DEAD_LETTER_TOPIC' | 'INGESTION_CONSUMER_GROUP' | 'CLICK_BUFFER_KEY_PREFIX' | 'TEMPORAL_TASK_QUEUE' | 'ID_ALLOCATOR_KEY'
>;

/**
 * The one place per-deployment names come from: without DEPLOYMENT_PREFIX the production names (the
 * replaced system's topic, group and key prefix), with it every name carries the prefix, so a test or bench
 * deployment on the same servers shares nothing with another. The replaced system's variables still win.
 */
export function deploymentNames(config: NameConfig): DeploymentNames {
  const p = config.DEPLOYMENT_PREFIX;
  const group = config.INGESTION_CONSUMER_GROUP ?? (p ? `${p}_ingestion` : 'click_ingestion_group');
  const clickTopic = config.KAFKA_CLICK_TOPIC ?? (p ? `${p}_click_events` : 'click_events');
  const queuePrefix = p ? `${p}-bull` : 'bull';
  const schedulePrefix = p ? `${p}-` : '';
  return {
    clickTopic,
    deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC ?? `${clickTopic}_dlq`,
    group,
    analyticsGroup: `${group}_analytics`,
    clickKeyPrefix: config.CLICK_BUFFER_KEY_PREFIX ?? (p ? `${p}_clicks` : 'click_buffer'),
    queuePrefix,
    keygenBlocks: `${queuePrefix}:keygen-blocks:${config.ID_ALLOCATOR_KEY}`,
    taskQueue: config.TEMPORAL_TASK_QUEUE ?? (p ? `${p}-linkhop` : 'linkhop'),
    scheduleIds: {
      flushClicks: `${schedulePrefix}flush-clicks`,
      warmCache: `${schedulePrefix}warm-cache`,
    },
    rateLimitPrefix: p ? `${p}_ratelimit` : 'ratelimit',
  };
}
