/** Every queue, job, topic, group, workflow and schedule name in one place. */
import { deploymentNames, type DeploymentNames, type NameConfig } from '../infra/deployment';

export { deploymentNames, type DeploymentNames, type NameConfig } from '../infra/deployment';

export const KEYGEN_QUEUE = 'keygen';
export const KEYGEN_REFILL_JOB = 'refill';

export const WORKFLOW_FLUSH_CLICKS = 'flushClicksWorkflow';
export const WORKFLOW_WARM_CACHE = 'warmCacheWorkflow';

/** The Kafka part of deploymentNames. */
export function kafkaNames(config: NameConfig): { clickTopic: string; deadLetterTopic: string; group: string } {
  const { clickTopic, deadLetterTopic, group } = deploymentNames(config);
  return { clickTopic, deadLetterTopic, group };
}

/** The analytics consumer group of deploymentNames. */
export const analyticsGroup = (config: NameConfig): string => deploymentNames(config).analyticsGroup;

/** The Temporal Schedule ids of deploymentNames. */
export const scheduleIds = (config: NameConfig): DeploymentNames['scheduleIds'] => deploymentNames(config).scheduleIds;

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
