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
import { PATCH_KEEP_CACHED_LINKS } from '../../workflows/flush-clicks';

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

/** The activity types a history scheduled, in order, and whether it recorded `patch`. */
function shape(file: string, patch: string): { activities: string[]; patched: boolean } {
  const events = load(file).events ?? [];
  const activities = events.flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
  // A patch marker's payload is the JSON {"id": <patch>, "deprecated": false}.
  const patchedMarker = events.some((e) => {
    const attrs = e.markerRecordedEventAttributes;
    if (attrs?.markerName !== 'core_patch') return false;
    const payloads = attrs.details?.['patch-data']?.payloads ?? [];
    return payloads.some((p) => p.data && (JSON.parse(Buffer.from(p.data).toString('utf8')) as { id?: string }).id === patch);
  });
  return { activities, patched: patchedMarker };
}

describe('workflow replay', function () {
  // Each run bundles the workflows with webpack, which takes a few seconds on two shared cores.
  this.timeout(120_000);

  it('has recorded histories of both workflows, and of the flush before its patch', () => {
    assert.deepEqual(FILES, ['flush-clicks-idle.json', 'flush-clicks-pre-patch.json', 'flush-clicks.json', 'warm-cache.json']);
    // The two flush histories differ exactly by the patch: the old one evicted cached links, the new one does not.
    assert.deepEqual(shape('flush-clicks-pre-patch.json', PATCH_KEEP_CACHED_LINKS), {
      activities: ['snapshotClicks', 'applyClickBatch', 'invalidateLinks', 'dropClickSnapshot'],
      patched: false,
    });
    assert.deepEqual(shape('flush-clicks.json', PATCH_KEEP_CACHED_LINKS), {
      activities: ['snapshotClicks', 'applyClickBatch', 'dropClickSnapshot'],
      patched: true,
    });
  });

  it('replays every recorded history, old and new, with the current workflow code', async () => {
    const results = await replay();
    assert.equal(results.size, FILES.length);
    for (const [id, error] of results) assert.equal(error, undefined, `${id}: ${error?.message}`);
  });

  it('fails when the flush workflow issues its activities in another order', async () => {
    const results = await replay(require.resolve('./fixtures/reordered-workflows'));
    for (const id of ['flush-clicks', 'flush-clicks-pre-patch']) {
      const error = results.get(id);
      assert.ok(error instanceof DeterminismViolationError, `${id}: expected a determinism violation, got ${error}`);
      assert.match(error.message, /Nondeterminism|does not match|mismatch/i);
    }
    // The idle run never reaches the swapped calls, and the cache warmer is unchanged.
    assert.equal(results.get('flush-clicks-idle'), undefined);
    assert.equal(results.get('warm-cache'), undefined);
  });

  it('fails the pre-patch history when the eviction is removed without patched()', async () => {
    const results = await replay(require.resolve('./fixtures/unpatched-workflows'));
    const error = results.get('flush-clicks-pre-patch');
    assert.ok(error instanceof DeterminismViolationError, `expected a determinism violation, got ${error}`);
  });
});
