/**
 * The flush workflow on the real Temporal server when PostgreSQL is unreachable for it: the apply activity
 * fails, is retried with backoff, the failure is visible while it lasts (pending activity) and afterwards
 * (history), it is counted in the metrics, and the clicks are applied exactly once when the database answers.
 */
import assert from 'node:assert/strict';
import { NativeConnection } from '@temporalio/worker';
import { Client, Pool } from 'pg';
import { createActivities } from '../../activities';
import { createTemporalWorker } from '../../activities/temporal-worker';
import { createDb } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { createRedis, createTemporalClient } from '../../infra/clients';
import { activityFailures } from '../../observability/click-metrics';
import { WORKFLOW_FLUSH_CLICKS, deploymentNames } from '../../queues/names';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { waitUntil } from '../../infra/wait';

describe('flush workflow retries (real Temporal server)', function () {
  this.timeout(180_000);
  let env: PipelineEnv;

  before(async () => {
    env = await createPipelineEnv({}, { kafka: false });
  });
  after(async () => {
    await env?.close();
  });

  it('retries the apply activity while its database is missing, shows why, then applies once', async () => {
    const { config } = env;
    // A database that does not exist yet: every connection fails until the test creates it.
    const lateName = `linkhop_pl_${env.suffix}_late`;
    const lateUrl = new URL(config.DATABASE_URL);
    lateUrl.pathname = `/${lateName}`;
    const latePool = new Pool({ connectionString: lateUrl.toString(), max: 2 });
    latePool.on('error', () => undefined);
    const redisCache = createRedis(config, 'cache');
    const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const { client, connection: clientConnection } = await createTemporalClient(config);
    const admin = new Client({ connectionString: config.DATABASE_URL });
    await admin.connect();
    const failuresBefore = (await activityFailures.get()).values.find((v) => v.labels.activity === 'applyClickBatch')?.value ?? 0;
    try {
      const worker = await createTemporalWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: deploymentNames(config).taskQueue,
        activities: createActivities({
          db: createDb(latePool),
          redisCache,
          cacheTtlSeconds: 60,
          clicks: { redisQueue: env.redisQueue, redisCache, pool: latePool, keys: env.keys },
        }),
      });
      const code = `late${env.suffix.slice(-8)}`;
      await env.redisQueue.hset(env.keys.pending, code, 4);

      await worker.runUntil(async () => {
        const handle = await client.workflow.start(WORKFLOW_FLUSH_CLICKS, {
          taskQueue: deploymentNames(config).taskQueue,
          workflowId: `flush-retry-${env.suffix}`,
        });
        let lastFailure = '';
        await waitUntil(async () => {
          const pending = (await handle.describe()).raw.pendingActivities?.[0];
          lastFailure = pending?.lastFailure?.message ?? '';
          return pending?.activityType?.name === 'applyClickBatch' && (pending.attempt ?? 0) >= 2;
        }, { timeoutMs: 30_000, describe: () => `pending activity never reached attempt 2 (${lastFailure})` });
        assert.match(lastFailure, /does not exist/);

        // The database comes back (created and migrated), holding the link.
        await admin.query(`CREATE DATABASE "${lateName}"`);
        await runMigrations(config, lateUrl.toString());
        await latePool.query(`INSERT INTO urls (short_code, original_url) VALUES ($1, 'https://example.com/late')`, [code]);

        const result = await handle.result();
        assert.equal(result.applied, true);
        assert.equal(result.clicks, 4);
        assert.equal(result.links, 1);

        const events = (await handle.fetchHistory()).events ?? [];
        const started = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!);
        const applyStarted = started.find((a) => (a.attempt ?? 1) > 1);
        assert.ok(applyStarted, 'no retried activity in the history');
        assert.match(applyStarted.lastFailure?.message ?? '', /does not exist/);
      });
      const { rows } = await latePool.query('SELECT clicks FROM urls WHERE short_code = $1', [code]);
      assert.equal(Number(rows[0].clicks), 4);
      const failuresAfter = (await activityFailures.get()).values.find((v) => v.labels.activity === 'applyClickBatch')?.value ?? 0;
      assert.ok(failuresAfter - failuresBefore >= 1, 'activity failures were not counted');
    } finally {
      await latePool.end();
      await admin.query(`DROP DATABASE IF EXISTS "${lateName}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      await clientConnection.close();
      await connection.close();
      redisCache.disconnect();
    }
  });
});
