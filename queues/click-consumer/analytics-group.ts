/**
 * The analytics consumer group: raw click rows into ClickHouse. It has its own offsets, so a ClickHouse
 * outage only makes this group lag while the counters go on. Rows are idempotent by click_id.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, Kafka } from 'kafkajs';
import { insertClicks, type ClickRow } from '../../db/clickhouse/clicks';
import { clickhouseRowsInserted, clicksConsumed } from '../../observability/click-metrics';
import { parseClickEvent, type ClickEvent } from '../click-event';

export interface AnalyticsGroupDeps {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  topic: string;
  group: string;
}

/** The ClickHouse row of a click event (DateTime without fractions, in UTC). */
export function toClickRow(e: ClickEvent): ClickRow {
  return {
    click_id: e.click_id,
    short_code: e.short_code,
    event_time: e.ts.slice(0, 19).replace('T', ' '),
    referrer: e.referrer,
    user_agent: e.user_agent,
    visitor_hash: e.visitor_hash,
    is_bot: e.bot ? 1 : 0,
  };
}

/** Joins the analytics group and starts consuming; resolves once running. */
export async function startAnalyticsGroup(deps: AnalyticsGroupDeps): Promise<Consumer> {
  const consumer = deps.kafka.consumer({
    groupId: deps.group,
    sessionTimeout: 15_000,
    heartbeatInterval: 3000,
    // Bigger, rarer batches: ClickHouse prefers few large inserts to many small ones.
    minBytes: 256 * 1024,
    maxWaitTimeInMs: 1000,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const rows: ClickRow[] = [];
      for (const message of batch.messages) {
        // Malformed messages are the counting group's to dead-letter; here they are skipped.
        const parsed = parseClickEvent(message.value);
        if (parsed.ok) rows.push(toClickRow(parsed.event));
      }
      await insertClicks(deps.clickhouse, rows);
      clickhouseRowsInserted.inc(rows.length);
      clicksConsumed.inc({ group: deps.group, outcome: 'stored' }, rows.length);
      const last = batch.messages[batch.messages.length - 1].offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    },
  });
  return consumer;
}
