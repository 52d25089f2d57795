/**
 * The analytics consumer group: enriched click rows into ClickHouse (browser, OS, device, bot flag and the
 * referrer's host are derived here, the country came from the API). It has its own offsets, so a ClickHouse
 * outage only makes this group lag while the counters go on. A redelivered batch inserts only the clicks
 * ClickHouse does not hold yet: the rollups count inserts, so the analytics stay equal to the counters.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, Kafka } from 'kafkajs';
import { insertClicks, storedClickIds, type ClickRow } from '../../db/clickhouse/clicks';
import { analyticsClicks, clickhouseRowsInserted, clicksConsumed } from '../../observability/click-metrics';
import { readForAnalytics, type DecodedClick } from '../click-record';
import { classifyAgent, referrerHost } from '../enrich/agent';

export interface AnalyticsGroupDeps {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  topic: string;
  group: string;
}

/** The enriched ClickHouse row of a click (whole seconds); clicks of earlier releases have country ''. */
export function toClickRow(c: DecodedClick): ClickRow {
  const agent = classifyAgent(c.userAgent);
  return {
    click_id: c.clickId,
    short_code: c.code,
    event_time: Math.floor(c.at / 1000),
    referrer: c.referrer,
    user_agent: c.userAgent,
    visitor_hash: c.visitorHash,
    // The consumer's classification wins over the producer's, so every release's clicks agree.
    is_bot: agent.bot ? 1 : 0,
    referrer_host: referrerHost(c.referrer),
    country: c.country,
    browser: agent.browser,
    os: agent.os,
    device: agent.device,
  };
}

/** Drops clicks repeated within `rows` and those ClickHouse already stored (a redelivery, a retried send). */
export async function newRows(clickhouse: ClickHouseClient, rows: readonly ClickRow[]): Promise<ClickRow[]> {
  const unique = [...new Map(rows.map((r) => [r.click_id, r])).values()];
  if (unique.length === 0) return unique;
  const stored = await storedClickIds(clickhouse, unique);
  return stored.size === 0 ? unique : unique.filter((r) => !stored.has(r.click_id));
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
      const fresh = await newRows(deps.clickhouse, rows);
      await insertClicks(deps.clickhouse, fresh);
      clickhouseRowsInserted.inc(fresh.length);
      clicksConsumed.inc({ group: deps.group, outcome: 'stored' }, fresh.length);
      clicksConsumed.inc({ group: deps.group, outcome: 'duplicate' }, rows.length - fresh.length);
      let bots = 0;
      for (const r of fresh) bots += r.is_bot;
      analyticsClicks.inc({ kind: 'person' }, fresh.length - bots);
      analyticsClicks.inc({ kind: 'bot' }, bots);
      const last = batch.messages[batch.messages.length - 1].offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    },
  });
  return consumer;
}
