/** The click event contract: built from a redirect, parsed (or rejected with a reason) by the consumers. */
import assert from 'node:assert/strict';
import { isBot, parseClickEvent, toClickEvent, visitorHash } from '../../queues/click-event';

const KEY = 'unit-test-visitor-key-0123456789';
const input = {
  shortCode: 'abc1234',
  at: Date.parse('2026-01-02T03:04:05.678Z'),
  referrer: 'https://ref.example/',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
  ip: '203.0.113.9',
};

describe('click event', () => {
  it('builds an event that round-trips through the schema, without the raw IP', () => {
    const event = toClickEvent(input, KEY);
    assert.equal(event.short_code, 'abc1234');
    assert.equal(event.ts, '2026-01-02T03:04:05.678Z');
    assert.equal(event.bot, false);
    assert.match(event.visitor_hash, /^[0-9a-f]{32}$/);
    const raw = JSON.stringify(event);
    assert.ok(!raw.includes(input.ip), 'the raw IP must not leave the API');
    const parsed = parseClickEvent(Buffer.from(raw));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.event, event);
  });

  it('gives each click its own id and a visitor hash that depends on ip, agent and key', () => {
    const a = toClickEvent(input, KEY);
    const b = toClickEvent(input, KEY);
    assert.notEqual(a.click_id, b.click_id);
    assert.equal(a.visitor_hash, b.visitor_hash);
    assert.notEqual(visitorHash(KEY, '203.0.113.10', input.userAgent), a.visitor_hash);
    assert.notEqual(visitorHash(KEY, input.ip, 'curl/8'), a.visitor_hash);
    assert.notEqual(visitorHash(`${KEY}x`, input.ip, input.userAgent), a.visitor_hash);
  });

  it('flags crawlers, scripts and empty agents as bots', () => {
    for (const ua of ['Googlebot/2.1', 'curl/8.5.0', 'python-requests/2.31', 'facebookexternalhit/1.1', '']) {
      assert.equal(isBot(ua), true, ua);
    }
    assert.equal(isBot(input.userAgent), false);
  });

  it('cuts oversized header values', () => {
    const event = toClickEvent({ ...input, referrer: 'r'.repeat(5000), userAgent: 'u'.repeat(5000) }, KEY);
    assert.equal(event.referrer.length, 1024);
    assert.equal(event.user_agent.length, 1024);
    assert.ok(parseClickEvent(Buffer.from(JSON.stringify(event))).ok);
  });

  it('rejects what is not a click event, saying why', () => {
    const bad = (v: string | null) => {
      const r = parseClickEvent(v === null ? null : Buffer.from(v));
      assert.equal(r.ok, false);
      return r.ok ? '' : r.error;
    };
    assert.match(bad(null), /empty/);
    assert.match(bad('not json'), /not JSON/);
    // The replaced system's message shape is not a click event.
    assert.match(bad(JSON.stringify({ short_code: 'abc', delta: 1 })), /click_id/);
    const event = toClickEvent(input, KEY);
    assert.match(bad(JSON.stringify({ ...event, ts: '2026-01-02 03:04:05' })), /ts/);
    assert.match(bad(JSON.stringify({ ...event, click_id: 'x' })), /click_id/);
  });
});
