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

/** The analytics consumer group: its own offsets, so a ClickHouse outage never stalls the counters. */
export const analyticsGroup = (config: Config): string => `${config.INGESTION_CONSUMER_GROUP}_analytics`;

/** Temporal Schedule ids; the prefix keeps an isolated (test) deployment away from the real Schedules. */
export function scheduleIds(config: Config): { flushClicks: string; warmCache: string } {
  return {
    flushClicks: `${config.SCHEDULE_ID_PREFIX}${SCHEDULE_FLUSH_CLICKS}`,
    warmCache: `${config.SCHEDULE_ID_PREFIX}${SCHEDULE_WARM_CACHE}`,
  };
}

/**
 * Redis keys of the click pipeline, all on the QUEUE Redis (noeviction + AOF): losing one loses clicks.
 * Every key holds a ':' after the prefix, so none can collide with a short code.
 */
export function clickKeys(prefix: string) {
  return {
    /** hash code -> clicks aggregated but not yet snapshotted for a flush */
    pending: `${prefix}:pending`,
    /** hash code -> clicks of one flush batch */
    snapshot: (batchId: string) => `${prefix}:snapshot:${batchId}`,
    snapshotPrefix: `${prefix}:snapshot:`,
    /** hash: current (batch id of the snapshot being flushed), epoch (bumped at each snapshot), started_ms */
    flush: `${prefix}:flush`,
    /** per click id of a format-1 record, while remembered: drops a click that reached the topic twice */
    seen: (clickId: string) => `${prefix}:seen:${clickId}`,
    /** bitmap of the packed records `block * 65536 + bit` of one producer that were counted */
    seenRecords: (producer: string, block: number) => `${prefix}:seen-records:${producer}:${block}`,
    /** hash "topic:partition" -> last offset aggregated, so a redelivered batch counts nothing */
    offsets: (group: string) => `${prefix}:offsets:${group}`,
    /** stream of producer batches that could not reach Kafka */
    fallback: `${prefix}:fallback`,
    fallbackGroup: 'drainers',
  };
}
export type ClickKeys = ReturnType<typeof clickKeys>;
