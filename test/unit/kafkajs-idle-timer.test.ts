/**
 * The guard on kafkajs's request queue (infra/kafkajs-idle-timer.ts), on kafkajs's own RequestQueue: an idle
 * connection arms no timer, a request held back by broker throttling is still sent once the throttle ends,
 * and kafkajs's unguarded scheduler still loops (when a release fixes that, the guard can go).
 */
import assert from 'node:assert/strict';
import { RequestQueue, guardKafkajsIdleTimer, unguardedSchedule, type RequestQueueInternals } from '../../infra/kafkajs-idle-timer';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A queue as kafkajs's Connection builds one (no request timeout sweeper: enforceRequestTimeout off). */
function queue(): RequestQueueInternals & { push(r: unknown): void; fulfillRequest(r: unknown): void; destroy(): void } {
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'test:9092',
    logger: silent,
  }) as never;
}

/** A request as Connection.send pushes it; `sent` counts the times it reached the socket. */
function request(correlationId: number) {
  const r = {
    sent: 0,
    answered: 0,
    pushed: {
      entry: { correlationId, apiKey: 3, apiName: 'Metadata', apiVersion: 6, resolve: () => r.answered++, reject: () => undefined },
      expectResponse: true,
      requestTimeout: 1000,
      sendRequest: () => {
        r.sent++;
      },
    },
  };
  return r;
}

describe('kafkajs idle timer guard', () => {
  before(() => guardKafkajsIdleTimer());

  it('arms no timer on a connection with nothing waiting, before or after a request completes', () => {
    const q = queue();
    try {
      q.checkPendingRequests();
      assert.equal(q.throttleCheckTimeoutId, null, 'an idle check armed a timer');
      const r = request(1);
      q.push(r.pushed);
      assert.equal(r.sent, 1);
      q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      assert.equal(r.answered, 1);
      assert.equal(q.throttleCheckTimeoutId, null, 'completing the only request armed a timer');
    } finally {
      q.destroy();
    }
  });

  it('sends a request held back by broker throttling once the throttle ends, then goes quiet', async () => {
    const q = queue();
    try {
      q.throttledUntil = Date.now() + 40;
      const r = request(2);
      q.push(r.pushed);
      assert.equal(r.sent, 0, 'sent while throttled');
      assert.notEqual(q.throttleCheckTimeoutId, null, 'a waiting request must be checked again');
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(r.sent, 1, 'the throttled request was never sent');
      assert.equal(q.pending.length, 0);
      assert.equal(q.throttleCheckTimeoutId, null, 'a timer stayed armed with nothing waiting');
    } finally {
      q.destroy();
    }
  });

  it("kafkajs's own scheduler still arms a timer with nothing waiting (the bug the guard is for)", () => {
    const q = queue();
    try {
      unguardedSchedule.call(q);
      assert.notEqual(q.throttleCheckTimeoutId, null, 'kafkajs no longer loops when idle: the guard can be removed');
    } finally {
      q.destroy();
    }
  });
});
