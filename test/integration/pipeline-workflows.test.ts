/**
 * The flush workflow on the real Temporal server when PostgreSQL is unreachable for it: the apply step (a
 * local activity) fails, is retried with backoff on server timers, each failed attempt is visible in the
 * history while it lasts (a marker with the failure), it is counted in the metrics, and the clicks are
 * applied exactly once when the database answers.
 */
import assert from 'node:assert/strict';
import type { temporal } from '@temporalio/proto';
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

interface LocalAttempt {
  type: string;
  attempt: number;
  failure?: string;
}

/** The local activity attempts a history recorded (markers carry {activity_type, attempt} and any failure). */
function localAttempts(events: temporal.api.history.v1.IHistoryEvent[]): LocalAttempt[] {
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    if (!data) return [];
    const d = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string; attempt: number };
    return [{ type: d.activity_type, attempt: d.attempt, failure: marker.failure?.message ?? undefined }];
  });
}

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
        // While the database is missing, the run's history shows the apply's failed attempts as they happen.
        let failed: LocalAttempt[] = [];
        await waitUntil(async () => {
          failed = localAttempts((await handle.fetchHistory()).events ?? []).filter((a) => a.type === 'applyClickBatch' && a.failure);
          return failed.length >= 2;
        }, { timeoutMs: 30_000, describe: () => `the apply failed ${failed.length} time(s) in the history` });
        assert.deepEqual(failed.slice(0, 2).map((a) => a.attempt), [1, 2]);
        assert.match(failed[0].failure ?? '', /does not exist/);

        // The database comes back (created and migrated), holding the link.
        await admin.query(`CREATE DATABASE "${lateName}"`);
        await runMigrations(config, lateUrl.toString());
        await latePool.query(`INSERT INTO urls (short_code, original_url) VALUES ($1, 'https://example.com/late')`, [code]);

        const result = await handle.result();
        assert.equal(result.applied, true);
        assert.equal(result.clicks, 4);
        assert.equal(result.links, 1);

        // The attempt that succeeded is a later one, recorded without a failure.
        const applies = localAttempts((await handle.fetchHistory()).events ?? []).filter((a) => a.type === 'applyClickBatch');
        const succeeded = applies.at(-1);
        assert.ok(succeeded && succeeded.attempt > 2 && succeeded.failure === undefined, `apply attempts: ${JSON.stringify(applies)}`);
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
