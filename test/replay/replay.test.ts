/**
 * Replays the committed histories (recorded on the real server by test/replay/record.ts) against the current
 * workflow code: a change in the order or kind of commands a workflow issues fails here, before a deployed
 * worker would fail its running workflows with a non-determinism error.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';

const DIR = path.join(__dirname, 'histories');
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

function histories() {
  return FILES.map((file) => ({
    workflowId: path.basename(file, '.json'),
    // fromObject rather than the SDK's historyFromJSON: the installed tree holds two protobufjs versions and
    // historyFromJSON's instanceof check fails across them. The files are fetchHistory() as JSON either way.
    history: temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'))),
  }));
}

async function replay(options: ReplayWorkerOptions): Promise<Map<string, Error | undefined>> {
  const results = new Map<string, Error | undefined>();
  for await (const r of Worker.runReplayHistories(options, histories())) results.set(r.workflowId, r.error);
  return results;
}

describe('workflow replay', function () {
  // Each run bundles the workflows with webpack, which takes a few seconds on two shared cores.
  this.timeout(120_000);

  it('has recorded histories of both workflows', () => {
    assert.deepEqual(FILES, ['flush-clicks-idle.json', 'flush-clicks.json', 'warm-cache.json']);
  });

  it('replays every recorded history with the current workflow code', async () => {
    const results = await replay({
      workflowsPath: require.resolve('../../workflows'),
      interceptors: { workflowModules: [require.resolve('../../workflows/metrics-interceptor')] },
    });
    assert.equal(results.size, FILES.length);
    for (const [id, error] of results) assert.equal(error, undefined, `${id}: ${error?.message}`);
  });

  it('fails when the flush workflow issues its activities in another order', async () => {
    const results = await replay({ workflowsPath: require.resolve('./fixtures/reordered-workflows') });
    const error = results.get('flush-clicks');
    assert.ok(error instanceof DeterminismViolationError, `expected a determinism violation, got ${error}`);
    assert.match(error.message, /Nondeterminism|does not match|mismatch/i);
    // The idle run never reaches the swapped calls, and the cache warmer is unchanged.
    assert.equal(results.get('flush-clicks-idle'), undefined);
    assert.equal(results.get('warm-cache'), undefined);
  });
});
