/**
 * The analytics consumer group: raw click rows into ClickHouse. It has its own offsets, so a ClickHouse
 * outage only makes this group lag while the counters go on. Rows are idempotent by click_id.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, Kafka } from 'kafkajs';
import { insertClicks, type ClickRow } from '../../db/clickhouse/clicks';
import { clickhouseRowsInserted, clicksConsumed } from '../../observability/click-metrics';
import { readForAnalytics, type DecodedClick } from '../click-record';

export interface AnalyticsGroupDeps {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  topic: string;
  group: string;
}

/** The ClickHouse row of a click (DateTime without fractions, in UTC). */
export function toClickRow(c: DecodedClick): ClickRow {
  return {
    click_id: c.clickId,
    short_code: c.code,
    event_time: new Date(c.at).toISOString().slice(0, 19).replace('T', ' '),
    referrer: c.referrer,
    user_agent: c.userAgent,
    visitor_hash: c.visitorHash,
    is_bot: c.bot ? 1 : 0,
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
        const read = readForAnalytics(message);
        if (read.ok) for (const click of read.value) rows.push(toClickRow(click));
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
