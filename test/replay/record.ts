/**
 * Records real histories of the workflows for the replay test: runs each one on the local Temporal server
 * with the real activities on an isolated pipeline, then writes fetchHistory() as JSON under histories/.
 * Run it again (npx tsx test/replay/record.ts) after a deliberate workflow change, and commit the result;
 * rename a history first when its old shape must keep replaying (flush-clicks-pre-patch.json: the flush
 * before it stopped evicting cached links; flush-clicks-remote-steps.json and flush-clicks-idle-remote-steps.json:
 * before its steps became local activities). Restore warm-cache.json if its workflow did not change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createTemporalWorker } from '../../activities/temporal-worker';
import { createRedis, createTemporalClient } from '../../infra/clients';
import { createPg } from '../../db/client';
import { WORKFLOW_FLUSH_CLICKS, WORKFLOW_WARM_CACHE, deploymentNames } from '../../queues/names';
import { createPipelineEnv } from '../helpers/pipeline-env';

const OUT = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const env = await createPipelineEnv({}, { kafka: false });
  const { config } = env;
  const { pool, db } = createPg(config, undefined, { max: 2 });
  const redisCache = createRedis(config, 'cache');
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const { client, connection: clientConnection } = await createTemporalClient(config);
  try {
    const worker = await createTemporalWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: deploymentNames(config).taskQueue,
      activities: createActivities({
        db,
        redisCache,
        cacheTtlSeconds: 60,
        clicks: { redisQueue: env.redisQueue, redisCache, pool, keys: env.keys },
      }),
    });
    const codes = await env.createLinks(3);
    const runs: { file: string; workflow: string; args: unknown[]; before?: () => Promise<unknown> }[] = [
      {
        file: 'flush-clicks.json',
        workflow: WORKFLOW_FLUSH_CLICKS,
        args: [],
        before: () => env.redisQueue.hset(env.keys.pending, codes[0], 3, codes[1], 1),
      },
      { file: 'flush-clicks-idle.json', workflow: WORKFLOW_FLUSH_CLICKS, args: [] },
      { file: 'warm-cache.json', workflow: WORKFLOW_WARM_CACHE, args: [{ topN: 2 }] },
    ];
    await worker.runUntil(async () => {
      for (const run of runs) {
        await run.before?.();
        const workflowId = `record-${path.basename(run.file, '.json')}-${env.suffix}`;
        const handle = await client.workflow.start(run.workflow, {
          taskQueue: deploymentNames(config).taskQueue,
          workflowId,
          args: run.args,
        });
        const result: unknown = await handle.result();
        const history = await handle.fetchHistory();
        fs.writeFileSync(path.join(OUT, run.file), `${JSON.stringify(history, null, 2)}\n`);
        console.log(`${run.file}: ${history.events?.length} events, result ${JSON.stringify(result)}`);
      }
    });
  } finally {
    await clientConnection.close();
    await connection.close();
    await pool.end();
    redisCache.disconnect();
    await env.close();
  }
}

main().catch((err: unknown) => {
  console.error('recording failed:', err);
  process.exit(1);
});
