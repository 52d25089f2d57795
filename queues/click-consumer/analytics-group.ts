/**
 * The analytics consumer group: enriched click rows into ClickHouse (browser, OS, device, bot flag and the
 * referrer's host are derived here, the country came from the API). It has its own offsets, so a ClickHouse
 * outage only makes this group lag while the counters go on. A redelivered batch inserts only the clicks
 * ClickHouse does not hold yet: the rollups count inserts, so the analytics stay equal to the counters.
 *
 * The batches of every partition that one fetch returns are written by one INSERT (a group commit): each
 * insert makes a part in the table and in each rollup, and ClickHouse then spends its CPU merging parts, so
 * one insert per partition per fetch cost more than all the rest of the click pipeline. Each partition still
 * commits its own offset, and only after the insert its clicks were part of: a failed insert fails every
 * batch in it, and kafkajs reads them all again from their last committed offsets.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, Kafka } from 'kafkajs';
import { insertClicks, storedClickIds, type ClickRow } from '../../db/clickhouse/clicks';
import { createGroupCommit } from '../../infra/group-commit';
import { analyticsClicks, clickhouseInsertBatches, clickhouseRowsInserted, clicksConsumed } from '../../observability/click-metrics';
import { readForAnalytics, type DecodedClick } from '../click-record';
import { classifyAgent, referrerHost } from '../enrich/agent';

export interface AnalyticsGroupDeps {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  topic: string;
  group: string;
  /** The topic's partitions: all of one fetch's batches are handled at once, so they share one insert. */
  partitions: number;
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

/** Inserts the clicks of several batches at once (those ClickHouse does not hold yet); returns the rows inserted. */
async function insertBatches(deps: AnalyticsGroupDeps, batches: readonly (readonly ClickRow[])[]): Promise<number> {
  const rows = batches.length === 1 ? batches[0] : batches.flat();
  const fresh = await newRows(deps.clickhouse, rows);
  await insertClicks(deps.clickhouse, fresh);
  clickhouseInsertBatches.observe(batches.length);
  clickhouseRowsInserted.inc(fresh.length);
  clicksConsumed.inc({ group: deps.group, outcome: 'stored' }, fresh.length);
  clicksConsumed.inc({ group: deps.group, outcome: 'duplicate' }, rows.length - fresh.length);
  let bots = 0;
  for (const r of fresh) bots += r.is_bot;
  analyticsClicks.inc({ kind: 'person' }, fresh.length - bots);
  analyticsClicks.inc({ kind: 'bot' }, bots);
  return fresh.length;
}

/** Joins the analytics group and starts consuming; resolves once running. */
export async function startAnalyticsGroup(deps: AnalyticsGroupDeps): Promise<Consumer> {
  const consumer = deps.kafka.consumer({
    groupId: deps.group,
    sessionTimeout: 15_000,
    heartbeatInterval: 3000,
    // Bigger, rarer batches: ClickHouse prefers few large inserts to many small ones. maxBytes bounds what
    // one grouped insert holds in memory (a backlog after an outage is read in slices of this size).
    minBytes: 256 * 1024,
    maxWaitTimeInMs: 1000,
    maxBytes: 8 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  // kafkajs hands the batches of one fetch to its workers in the same turn and fetches again only once all
  // are done, so one batch per partition joins each insert; one insert runs at a time.
  const inserts = createGroupCommit<ClickRow[], number>({
    maxBatch: Math.max(1, deps.partitions),
    maxInFlight: 1,
    commit: async (batches) => {
      await insertBatches(deps, batches);
      return batches.map((b) => b.length);
    },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: Math.max(1, deps.partitions),
    eachBatch: async ({ batch, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const rows: ClickRow[] = [];
      for (const message of batch.messages) {
        // Malformed messages are the counting group's to dead-letter; here they are skipped.
        const read = readForAnalytics(message);
        if (read.ok) for (const click of read.value) rows.push(toClickRow(click));
      }
      if (rows.length > 0) await inserts.submit(rows);
      const last = batch.messages[batch.messages.length - 1].offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    },
  });
  return consumer;
}
