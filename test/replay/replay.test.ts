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
import { Worker } from '@temporalio/worker';
import { replayWorkerOptions } from '../../activities/temporal-worker';
import { PATCH_KEEP_CACHED_LINKS, PATCH_LOCAL_STEPS } from '../../workflows/flush-clicks';

const DIR = path.join(__dirname, 'histories');
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

// fromObject rather than the SDK's historyFromJSON: the installed tree holds two protobufjs versions and
// historyFromJSON's instanceof check fails across them. The files are fetchHistory() as JSON either way.
const load = (file: string) =>
  temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));

function histories() {
  return FILES.map((file) => ({ workflowId: path.basename(file, '.json'), history: load(file) }));
}

/** Replays every history with the workflows at `workflowsPath`, through the production worker's options. */
async function replay(workflowsPath?: string): Promise<Map<string, Error | undefined>> {
  const results = new Map<string, Error | undefined>();
  for await (const r of Worker.runReplayHistories(replayWorkerOptions(workflowsPath), histories())) {
    results.set(r.workflowId, r.error);
  }
  return results;
}

const payloadJson = (payloads: { data?: Uint8Array | null }[] | null | undefined): Record<string, unknown>[] =>
  (payloads ?? []).flatMap((p) => (p.data ? [JSON.parse(Buffer.from(p.data).toString('utf8')) as Record<string, unknown>] : []));

/**
 * The activities a history ran, in order ('local:<type>' for a local activity's marker), and the patches it
 * recorded.
 */
function shape(file: string): { activities: string[]; patches: string[] } {
  const activities: string[] = [];
  const patches: string[] = [];
  for (const e of load(file).events ?? []) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) activities.push(name);
    const marker = e.markerRecordedEventAttributes;
    // A local activity's marker holds {activity_type, ...} under "data"; a patch's {id, deprecated} under "patch-data".
    if (marker?.markerName === 'core_local_activity') {
      for (const d of payloadJson(marker.details?.data?.payloads)) activities.push(`local:${String(d.activity_type)}`);
    }
    if (marker?.markerName === 'core_patch') {
      for (const d of payloadJson(marker.details?.['patch-data']?.payloads)) patches.push(String(d.id));
    }
  }
  return { activities, patches };
}

describe('workflow replay', function () {
  // Each run bundles the workflows with webpack, which takes a few seconds on two shared cores.
  this.timeout(120_000);

  it('has recorded histories of both workflows, and of the flush before each of its patches', () => {
    assert.deepEqual(FILES, [
      'flush-clicks-idle-remote-steps.json',
      'flush-clicks-idle.json',
      'flush-clicks-pre-patch.json',
      'flush-clicks-remote-steps.json',
      'flush-clicks.json',
      'warm-cache.json',
    ]);
    // Each flush history differs from the next by one patch: the oldest evicted cached links, the next ran
    // its steps as remote activities, the current one runs them as local activities.
    assert.deepEqual(shape('flush-clicks-pre-patch.json'), {
      activities: ['snapshotClicks', 'applyClickBatch', 'invalidateLinks', 'dropClickSnapshot'],
      patches: [],
    });
    assert.deepEqual(shape('flush-clicks-remote-steps.json'), {
      activities: ['snapshotClicks', 'applyClickBatch', 'dropClickSnapshot'],
      patches: [PATCH_KEEP_CACHED_LINKS],
    });
    assert.deepEqual(shape('flush-clicks.json'), {
      activities: ['local:snapshotClicks', 'local:applyClickBatch', 'local:dropClickSnapshot'],
      patches: [PATCH_LOCAL_STEPS, PATCH_KEEP_CACHED_LINKS],
    });
    assert.deepEqual(shape('flush-clicks-idle-remote-steps.json'), { activities: ['snapshotClicks'], patches: [] });
    assert.deepEqual(shape('flush-clicks-idle.json'), { activities: ['local:snapshotClicks'], patches: [PATCH_LOCAL_STEPS] });
  });

  it('replays every recorded history, old and new, with the current workflow code', async () => {
    const results = await replay();
    assert.equal(results.size, FILES.length);
    for (const [id, error] of results) assert.equal(error, undefined, `${id}: ${error?.message}`);
  });

  it('fails when the flush workflow issues its activities in another order', async () => {
    const results = await replay(require.resolve('./fixtures/reordered-workflows'));
    for (const id of ['flush-clicks', 'flush-clicks-remote-steps', 'flush-clicks-pre-patch']) {
      const error = results.get(id);
      assert.ok(error instanceof DeterminismViolationError, `${id}: expected a determinism violation, got ${error}`);
      assert.match(error.message, /Nondeterminism|does not match|mismatch/i);
    }
    // The idle runs never reach the swapped calls, and the cache warmer is unchanged.
    assert.equal(results.get('flush-clicks-idle'), undefined);
    assert.equal(results.get('flush-clicks-idle-remote-steps'), undefined);
    assert.equal(results.get('warm-cache'), undefined);
  });

  it('fails the pre-patch history when the eviction is removed without patched()', async () => {
    const results = await replay(require.resolve('./fixtures/unpatched-workflows'));
    const error = results.get('flush-clicks-pre-patch');
    assert.ok(error instanceof DeterminismViolationError, `expected a determinism violation, got ${error}`);
  });

  it('fails the remote-step histories when the steps become local activities without patched()', async () => {
    const results = await replay(require.resolve('./fixtures/unpatched-local-workflows'));
    for (const id of ['flush-clicks-remote-steps', 'flush-clicks-idle-remote-steps']) {
      const error = results.get(id);
      assert.ok(error instanceof DeterminismViolationError, `${id}: expected a determinism violation, got ${error}`);
    }
  });
});
