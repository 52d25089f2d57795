/**
 * The counting consumer group: of each record it reads only the headers and the per-code counts (the head of
 * a packed record; a format-1 record is one click), malformed records are dead-lettered, valid ones are
 * aggregated atomically in Redis (with the batch's offset), and only then is the offset committed.
 * A crash anywhere before the commit redelivers the batch, and the aggregator counts nothing twice.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { AggregateRecord, ClickLedger } from '../click-ledger';
import { clicksConsumed } from '../../observability/click-metrics';
import type { Logger } from '../../observability/logger';
import { readForCounting } from '../click-record';
import type { DeadLetter, Rejected } from './dead-letter';

export interface CounterGroupDeps {
  kafka: Kafka;
  topic: string;
  group: string;
  /** The click ledger; this group only aggregates into it. */
  ledger: Pick<ClickLedger, 'aggregate'>;
  deadLetter: DeadLetter;
  log: Logger;
}

/** Joins the group and starts consuming; resolves once running. */
export async function startCounterGroup(deps: CounterGroupDeps): Promise<Consumer> {
  const { topic, group } = deps;
  const consumer = deps.kafka.consumer({
    groupId: group,
    // A killed consumer's partitions wait this long for a new owner; batches take milliseconds.
    sessionTimeout: 10_000,
    heartbeatInterval: 2000,
    // A fetch waits up to 100 ms for its clicks to gather (minBytes is never reached at a steady rate),
    // so a partition's batch carries 100 ms of clicks: one Lua script and one commit per partition and
    // fetch, not one per producer linger window. A stats read waits for this at most once.
    minBytes: 1024 * 1024,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 2 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const records: AggregateRecord[] = [];
      const rejected: Rejected[] = [];
      for (const message of batch.messages) {
        const read = readForCounting(message);
        if (read.ok) records.push({ ...read.value, offset: message.offset });
        else rejected.push({ message, error: read.error });
      }
      if (rejected.length) {
        await deps.deadLetter(batch.topic, batch.partition, rejected);
        deps.log.warn({ partition: batch.partition, count: rejected.length, error: rejected[0].error }, 'dead-lettered');
      }
      const lastOffset = batch.messages[batch.messages.length - 1].offset;
      const result = await deps.ledger.aggregate(group, {
        topic: batch.topic,
        partition: batch.partition,
        lastOffset,
        records,
      });
      clicksConsumed.inc({ group, outcome: 'counted' }, result.counted);
      clicksConsumed.inc({ group, outcome: 'duplicate' }, result.duplicates);
      clicksConsumed.inc({ group, outcome: 'redelivered' }, result.redelivered);
      // The counts and the offset are safe in Redis; committing only saves a redelivery.
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() },
      ]);
      await heartbeat();
    },
  });
  return consumer;
}
