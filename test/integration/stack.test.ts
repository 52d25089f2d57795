/**
 * One real round trip through each service of the stack. Each test talks to its server with short
 * timeouts, so it fails (rather than hangs) when that server is down.
 */
import assert from 'node:assert/strict';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Queue, Worker as BullWorker, QueueEvents } from 'bullmq';
import { eq, gte } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { createTemporalWorker } from '../../activities/temporal-worker';
import { linkCacheKey, parseCachedLink } from '../../db/link-cache';
import { runMigrations } from '../../db/migrate';
import { urls } from '../../db/schema';
import { createClickHouse, createKafka, createRedis } from '../../infra/clients';
import { createPg } from '../../db/client';
import { testConfig, uniqueSuffix } from '../helpers/test-config';

const config = testConfig();

describe('stack round trips', function () {
  this.timeout(90_000);

  it('PostgreSQL: a drizzle insert and select', async () => {
    await runMigrations(config);
    const { pool, db } = createPg(config, undefined, { max: 2 });
    try {
      const code = `rt${uniqueSuffix()}`.slice(0, 20);
      await db.insert(urls).values({ shortCode: code, originalUrl: 'https://example.com/round-trip' });
      const rows = await db.select().from(urls).where(eq(urls.shortCode, code));
      assert.equal(rows.length, 1);
      assert.equal(rows[0].originalUrl, 'https://example.com/round-trip');
      await db.delete(urls).where(eq(urls.shortCode, code));
    } finally {
      await pool.end();
    }
  });

  for (const role of ['cache', 'queue'] as const) {
    it(`Redis (${role}): set and get`, async () => {
      const redis = createRedis(config, role, undefined, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
      try {
        const key = `test:roundtrip:${uniqueSuffix()}`;
        await redis.set(key, 'v1', 'EX', 60);
        assert.equal(await redis.get(key), 'v1');
        const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
        assert.equal(policy[1], role === 'cache' ? 'allkeys-lru' : 'noeviction');
      } finally {
        redis.disconnect();
      }
    });
  }

  it('Kafka: produce and consume with kafkajs', async () => {
    const kafka = createKafka(config, 'test-roundtrip');
    const topic = `test-roundtrip-${uniqueSuffix()}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'hello kafka' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message within 20 s')), 20_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(t);
            resolve(message.value?.toString() ?? '');
          },
        });
      });
      assert.equal(received, 'hello kafka');
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('ClickHouse: insert and select with @clickhouse/client', async () => {
    const ch = createClickHouse(config, 'default');
    const table = `test_roundtrip_${uniqueSuffix()}`;
    try {
      await ch.command({ query: `CREATE TABLE ${table} (id UInt32, name String) ENGINE = Memory` });
      await ch.insert({ table, values: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }], format: 'JSONEachRow' });
      const rs = await ch.query({ query: `SELECT id, name FROM ${table} ORDER BY id`, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
    } finally {
      await ch.command({ query: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
      await ch.close();
    }
  });

  it('Temporal: a workflow runs its activity on a real worker', async () => {
    const { pool, db } = createPg(config, undefined, { max: 2 });
    const redisCache = createRedis(config, 'cache');
    const taskQueue = `test-roundtrip-${uniqueSuffix()}`;
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 3000 });
    const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const code = `wc${uniqueSuffix()}`.slice(0, 20);
    try {
      // The most-clicked link by far, so a top-1 warm-up must pick it (rows of an interrupted run go first).
      await db.delete(urls).where(gte(urls.clicks, 1e12));
      await db.insert(urls).values({ shortCode: code, originalUrl: 'https://example.com/warm', clicks: 1e12 });
      const worker = await createTemporalWorker({
        connection: workerConnection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue,
        activities: createActivities({ db, redisCache, cacheTtlSeconds: 60 }),
      });
      const client = new TemporalClient({ connection, namespace: config.TEMPORAL_NAMESPACE });
      const result = await worker.runUntil(
        client.workflow.execute('warmCacheWorkflow', { taskQueue, workflowId: taskQueue, args: [{ topN: 1 }] }),
      );
      assert.deepEqual(result, { warmed: 1 });
      const cached = parseCachedLink(await redisCache.get(linkCacheKey(code)));
      assert.equal(cached?.original_url, 'https://example.com/warm');
    } finally {
      await db.delete(urls).where(eq(urls.shortCode, code)).catch(() => undefined);
      await workerConnection.close();
      await connection.close();
      redisCache.disconnect();
      await pool.end();
    }
  });

  it('BullMQ: a job is processed by a real worker', async () => {
    const name = `test-roundtrip-${uniqueSuffix()}`;
    const connection = createRedis(config, 'queue');
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection: createRedis(config, 'queue') });
    const worker = new BullWorker(name, async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), {
      connection: createRedis(config, 'queue'),
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 });
      assert.deepEqual(await job.waitUntilFinished(events, 20_000), { doubled: 42 });
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      connection.disconnect();
    }
  });
});
