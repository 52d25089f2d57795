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

/**
 * The clicks of `records` (one array per Kafka record, in the record's order) that ClickHouse does not hold
 * yet, each once: a redelivered record, or one that reached the topic twice, is not inserted again (the
 * rollups count every inserted row). One INSERT writes a record's clicks together, one part per month, so
 * asking for each record's first and last click id is enough: both stored means the whole record is,
 * neither means none of it is, and only a record an interrupted insert split (at a month boundary) has all
 * its ids looked up. Sending every click id made that query cost ClickHouse more than the insert itself.
 */
export async function newRows(clickhouse: ClickHouseClient, records: readonly (readonly ClickRow[])[]): Promise<ClickRow[]> {
  // Repeats within the batch (a redelivered record next to its first copy) collapse by click id.
  const seen = new Set<string>();
  const unique: ClickRow[][] = [];
  for (const record of records) {
    const rows = record.filter((r) => !seen.has(r.click_id) && !!seen.add(r.click_id));
    if (rows.length > 0) unique.push(rows);
  }
  if (unique.length === 0) return [];
  const ends = unique.flatMap((rows) => (rows.length === 1 ? rows : [rows[0], rows[rows.length - 1]]));
  const stored = await storedClickIds(clickhouse, ends);
  const fresh: ClickRow[] = [];
  const split: ClickRow[] = [];
  for (const rows of unique) {
    const first = stored.has(rows[0].click_id);
    const last = stored.has(rows[rows.length - 1].click_id);
    if (!first && !last) fresh.push(...rows);
    else if (!(first && last)) split.push(...rows);
  }
  if (split.length > 0) {
    const partly = await storedClickIds(clickhouse, split);
    for (const r of split) if (!partly.has(r.click_id)) fresh.push(r);
  }
  return fresh;
}

/** Inserts the clicks of several batches (each a list of records) at once, those ClickHouse does not hold yet. */
async function insertBatches(deps: AnalyticsGroupDeps, batches: readonly (readonly ClickRow[][])[]): Promise<void> {
  const records = batches.length === 1 ? batches[0] : batches.flat();
  const fresh = await newRows(deps.clickhouse, records);
  let clicks = 0;
  for (const r of records) clicks += r.length;
  await insertClicks(deps.clickhouse, fresh);
  clickhouseInsertBatches.observe(batches.length);
  clickhouseRowsInserted.inc(fresh.length);
  clicksConsumed.inc({ group: deps.group, outcome: 'stored' }, fresh.length);
  clicksConsumed.inc({ group: deps.group, outcome: 'duplicate' }, clicks - fresh.length);
  let bots = 0;
  for (const r of fresh) bots += r.is_bot;
  analyticsClicks.inc({ kind: 'person' }, fresh.length - bots);
  analyticsClicks.inc({ kind: 'bot' }, bots);
}

/** Joins the analytics group and starts consuming; resolves once running. */
export async function startAnalyticsGroup(deps: AnalyticsGroupDeps): Promise<Consumer> {
  const consumer = deps.kafka.consumer({
    groupId: deps.group,
    sessionTimeout: 15_000,
    heartbeatInterval: 3000,
    // Bigger, rarer batches: ClickHouse prefers few large inserts to many small ones, and each insert makes
    // a part in the table and in each of its rollups, which it then merges. A fetch waits up to 2 s (or
    // 4 MB, about 1 s of clicks at 100,000/s), so analytics trail the redirects by at most about 2 s; with a
    // 256 KB floor and a 1 s wait, ClickHouse took 24-31% of a core during the bench's cache-hit run, with
    // these 8-17%. maxBytes bounds what one grouped insert holds in memory (a backlog after an outage is
    // read in slices of this size).
    minBytes: 4 * 1024 * 1024,
    maxWaitTimeInMs: 2000,
    maxBytes: 8 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  // kafkajs hands the batches of one fetch to its workers in the same turn and fetches again only once all
  // are done, so one batch per partition joins each insert; one insert runs at a time.
  const inserts = createGroupCommit<ClickRow[][], void>({
    maxBatch: Math.max(1, deps.partitions),
    maxInFlight: 1,
    commit: async (batches) => {
      await insertBatches(deps, batches);
      return batches.map(() => undefined);
    },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: Math.max(1, deps.partitions),
    eachBatch: async ({ batch, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const records: ClickRow[][] = [];
      for (const message of batch.messages) {
        // Malformed messages are the counting group's to dead-letter; here they are skipped.
        const read = readForAnalytics(message);
        if (read.ok && read.value.length > 0) records.push(read.value.map(toClickRow));
      }
      if (records.length > 0) await inserts.submit(records);
      const last = batch.messages[batch.messages.length - 1].offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    },
  });
  return consumer;
}
