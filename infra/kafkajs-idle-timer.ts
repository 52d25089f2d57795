/**
 * kafkajs 2.2.4, its last release, keeps a timer re-arming itself on every broker connection even when no
 * request waits: RequestQueue.scheduleCheckPendingRequests arms a check whatever the queue holds, with a
 * negative delay (run at once) when nothing is throttled, and the check arms the next one
 * (tulios/kafkajs#1556; the fix, tulios/kafkajs#1667, was never released). Every process that talks to Kafka
 * wakes about a thousand times a second per connection: an idle click consumer spent 6% of a core on it, and
 * the API's event loop (the producer's connection) was never quiet.
 *
 * This applies that unreleased fix's guard and nothing else: with no request waiting, no timer. A waiting
 * request (throttled by the broker, or over the in-flight bound) is scheduled exactly as before, and a
 * request that completes or times out still checks the queue itself (fulfillRequest, its timeout).
 * Patched here, at run time, rather than in node_modules, because production images install without
 * running scripts (Dockerfile), so an install-time patch would not reach them.
 */
import { createRequire } from 'node:module';

/** The parts of kafkajs's RequestQueue the guard reads (src/network/requestQueue/index.js). */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  scheduleCheckPendingRequests(): void;
  checkPendingRequests(): void;
}

type RequestQueueClass = new (opts: Record<string, unknown>) => RequestQueueInternals;

const load = createRequire(__filename);

/** kafkajs's RequestQueue class (internal: read by the guard below and by its test). */
export const RequestQueue = load('kafkajs/src/network/requestQueue') as RequestQueueClass;

const GUARDED = Symbol.for('linkhop.kafkajs.idleTimerGuard');

/** kafkajs's own scheduler, unguarded (its test shows the loop is still there, so the guard is still needed). */
export const unguardedSchedule = RequestQueue.prototype.scheduleCheckPendingRequests;

/** Installs the guard once per process; createKafka (infra/clients.ts) calls it before any connection exists. */
export function guardKafkajsIdleTimer(): void {
  const proto = RequestQueue.prototype as RequestQueueInternals & { [GUARDED]?: true };
  if (proto[GUARDED]) return;
  proto.scheduleCheckPendingRequests = function scheduleOnlyWhenWaiting(this: RequestQueueInternals) {
    if (this.pending.length === 0) return;
    unguardedSchedule.call(this);
  };
  proto[GUARDED] = true;
}
