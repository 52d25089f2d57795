import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { readableErrors, readyLogger } from '../../observability/logger';

describe('logger', () => {
  it('a failure inside library metadata is logged with its type, message and cause, not as {}', () => {
    const lines: string[] = [];
    const log = pino({}, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const err = new Error('apply failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') });
    log.error({ sdk: { error: err } }, 'plain');
    log.error({ sdk: readableErrors({ activityType: 'applyClickBatch', error: err }) }, 'readable');
    const [plain, readable] = lines.map((l) => JSON.parse(l) as { sdk: Record<string, unknown> });
    assert.deepEqual(plain.sdk.error, {}, 'what the SDK metadata gave before');
    const logged = readable.sdk.error as { type: string; message: string; cause: { message: string } };
    assert.equal(readable.sdk.activityType, 'applyClickBatch');
    assert.equal(logged.type, 'Error');
    assert.equal(logged.message, 'apply failed');
    assert.equal(logged.cause.message, 'connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('the ready line is written at every LOG_LEVEL, and nothing else at info gets past a higher level', () => {
    for (const level of ['trace', 'info', 'warn', 'error', 'silent']) {
      const lines: string[] = [];
      const log = pino({ level }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
      log.info('other info line');
      readyLogger(log).info({ url: 'http://127.0.0.1:8000' }, 'api listening');
      log.info('another info line');
      const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      const quiet = level === 'warn' || level === 'error' || level === 'silent';
      assert.deepEqual(messages, quiet ? ['api listening'] : ['other info line', 'api listening', 'another info line'], level);
      assert.equal(log.level, level, 'the root logger keeps its level');
    }
  });
});
