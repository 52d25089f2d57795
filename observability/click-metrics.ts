/** Metrics of the click pipeline (producer, consumers, flush), on the shared registry. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './metrics';

export const clicksProduced = new Counter({
  name: 'clicks_produced_total',
  help: 'Clicks acknowledged by Kafka (directly, or later from the fallback stream)',
  labelNames: ['via'] as const,
  registers: [registry],
});

export const clicksFallbackBuffered = new Counter({
  name: 'clicks_fallback_buffered_total',
  help: 'Clicks written to the Redis fallback stream because Kafka was unreachable',
  registers: [registry],
});

export const clicksInMemory = new Gauge({
  name: 'clicks_producer_buffered',
  help: 'Clicks held in the producer memory, waiting for Kafka or the fallback stream',
  registers: [registry],
});

export const clicksDropped = new Counter({
  name: 'clicks_dropped_total',
  help: 'Clicks dropped because Kafka, the fallback stream and the memory bound were all exhausted',
  registers: [registry],
});

export const clicksConsumed = new Counter({
  name: 'clicks_consumed_total',
  help: 'Valid click messages read by a consumer group, and how many of them were counted',
  labelNames: ['group', 'outcome'] as const,
  registers: [registry],
});

export const clicksDeadLettered = new Counter({
  name: 'clicks_dead_lettered_total',
  help: 'Malformed messages moved to the dead-letter topic',
  registers: [registry],
});

export const consumerLag = new Gauge({
  name: 'kafka_consumer_lag',
  help: 'Messages behind the end of the topic, per consumer group and partition',
  labelNames: ['group', 'topic', 'partition'] as const,
  registers: [registry],
});

export const clicksFlushed = new Counter({
  name: 'clicks_flushed_total',
  help: 'Clicks added to urls.clicks by flush batches',
  registers: [registry],
});

export const flushDuration = new Histogram({
  name: 'click_flush_duration_seconds',
  help: 'Time from a flush snapshot to its removal (the whole flush cycle)',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const clickhouseInsertBatches = new Histogram({
  name: 'clickhouse_insert_batches',
  help: 'Partition batches whose clicks one ClickHouse INSERT of the analytics group carried',
  buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32],
  registers: [registry],
});

export const clickhouseRowsInserted = new Counter({
  name: 'clickhouse_click_rows_inserted_total',
  help: 'Click rows sent to ClickHouse (duplicates collapse there by click id)',
  registers: [registry],
});

export const activityFailures = new Counter({
  name: 'temporal_activity_failures_total',
  help: 'Failed Temporal activity attempts, by activity name',
  labelNames: ['activity'] as const,
  registers: [registry],
});

export const workflowFailures = new Counter({
  name: 'temporal_workflow_failures_total',
  help: 'Failed Temporal workflow tasks or executions seen by this worker, by workflow type',
  labelNames: ['workflow'] as const,
  registers: [registry],
});

export const analyticsClicks = new Counter({
  name: 'analytics_clicks_total',
  help: 'Clicks stored in ClickHouse by the analytics consumer, people and bots (isbot)',
  labelNames: ['kind'] as const,
  registers: [registry],
});
