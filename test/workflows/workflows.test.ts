/**
 * Every branch of every workflow, with stand-in activities, on a Temporal dev server this test starts itself
 * from the CLI the stack installs (TestWorkflowEnvironment.createLocal): no running service is needed.
 * The flush's pre-patch branch (evict cached links, tolerate an eviction failure) is unreachable in a new
 * run by design: test/replay/ covers it with the recorded pre-patch history.
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { createTemporalWorker } from '../../activities/temporal-worker';
import { temporalBinary } from '../../infra/stack/services/temporal';
import { WORKFLOW_FLUSH_CLICKS, WORKFLOW_WARM_CACHE } from '../../queues/names';

const TASK_QUEUE = 'workflow-tests';
const BATCH = '00000000-0000-4000-8000-000000000001';

type Stand = Partial<Activities>;

describe('workflows with stand-in activities', function () {
  // Starting the dev server and bundling the workflows take seconds on two shared cores.
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let calls: string[];
  let stand: Stand;

  before(async () => {
    const path = temporalBinary();
    assert.ok(path, 'the Temporal CLI is not installed: run `npm run stack -- up` once');
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path } } });
    // Each activity records its call and delegates to this test's stand-in.
    const names = ['snapshotClicks', 'applyClickBatch', 'invalidateLinks', 'dropClickSnapshot', 'warmCache'] as const;
    const activities = Object.fromEntries(
      names.map((name) => [
        name,
        (...args: unknown[]) => {
          calls.push(name);
          const fn = stand[name] as ((...a: unknown[]) => unknown) | undefined;
          if (!fn) throw ApplicationFailure.nonRetryable(`${name} was not expected`, 'Unexpected');
          return fn(...args);
        },
      ]),
    ) as Stand;
    worker = await createTemporalWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: TASK_QUEUE, activities });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });
  beforeEach(() => {
    calls = [];
    stand = {};
  });

  let seq = 0;
  const run = (workflow: string, args: unknown[] = []) =>
    env.client.workflow.execute(workflow, { taskQueue: TASK_QUEUE, workflowId: `wf-${Date.now()}-${seq++}`, args });

  describe('flushClicksWorkflow', () => {
    it('does nothing more when there is nothing to flush', async () => {
      stand.snapshotClicks = async () => null;
      assert.deepEqual(await run(WORKFLOW_FLUSH_CLICKS), { batchId: null, applied: false, links: 0, clicks: 0 });
      assert.deepEqual(calls, ['snapshotClicks']);
    });

    it('snapshots, applies and drops, and leaves cached links alone', async () => {
      stand.snapshotClicks = async () => ({ batchId: BATCH, resumed: false });
      stand.applyClickBatch = async (id) => {
        assert.equal(id, BATCH);
        return { applied: true, links: 2, clicks: 9 };
      };
      stand.dropClickSnapshot = async () => ({ dropped: true });
      assert.deepEqual(await run(WORKFLOW_FLUSH_CLICKS), { batchId: BATCH, applied: true, links: 2, clicks: 9 });
      assert.deepEqual(calls, ['snapshotClicks', 'applyClickBatch', 'dropClickSnapshot']);
    });

    it('retries an apply that failed for a passing reason, then goes on', async () => {
      let attempts = 0;
      stand.snapshotClicks = async () => ({ batchId: BATCH, resumed: true });
      stand.applyClickBatch = async () => {
        if (++attempts === 1) throw new Error('connection reset');
        return { applied: false, links: 0, clicks: 0 };
      };
      stand.dropClickSnapshot = async () => ({ dropped: true });
      assert.deepEqual(await run(WORKFLOW_FLUSH_CLICKS), { batchId: BATCH, applied: false, links: 0, clicks: 0 });
      assert.deepEqual(calls, ['snapshotClicks', 'applyClickBatch', 'applyClickBatch', 'dropClickSnapshot']);
    });

    it('fails without dropping when the snapshot cannot be applied', async () => {
      stand.snapshotClicks = async () => ({ batchId: BATCH, resumed: true });
      stand.applyClickBatch = async () => {
        throw ApplicationFailure.create({ message: 'snapshot missing', type: 'SnapshotMissing' });
      };
      await assert.rejects(run(WORKFLOW_FLUSH_CLICKS), WorkflowFailedError);
      // SnapshotMissing is in the workflow's non-retryable list: one attempt, and the snapshot stays.
      assert.deepEqual(calls, ['snapshotClicks', 'applyClickBatch']);
    });

    it('fails when the drop refuses a batch PostgreSQL does not have', async () => {
      stand.snapshotClicks = async () => ({ batchId: BATCH, resumed: false });
      stand.applyClickBatch = async () => ({ applied: true, links: 1, clicks: 1 });
      stand.dropClickSnapshot = async () => {
        throw ApplicationFailure.create({ message: 'not applied', type: 'NotApplied' });
      };
      await assert.rejects(run(WORKFLOW_FLUSH_CLICKS), WorkflowFailedError);
      assert.deepEqual(calls, ['snapshotClicks', 'applyClickBatch', 'dropClickSnapshot']);
    });
  });

  describe('warmCacheWorkflow', () => {
    it('warms the top N links', async () => {
      stand.warmCache = async (topN) => ({ warmed: Math.min(Number(topN), 3) });
      assert.deepEqual(await run(WORKFLOW_WARM_CACHE, [{ topN: 10 }]), { warmed: 3 });
      assert.deepEqual(calls, ['warmCache']);
    });

    it('retries a failed warm-up', async () => {
      stand.warmCache = async () => {
        if (calls.length < 2) throw new Error('redis down');
        return { warmed: 1 };
      };
      assert.deepEqual(await run(WORKFLOW_WARM_CACHE, [{ topN: 1 }]), { warmed: 1 });
      assert.deepEqual(calls, ['warmCache', 'warmCache']);
    });
  });
});
