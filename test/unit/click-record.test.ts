/** The packed click record (clicks.v2): round trip, the counting group's head-only read, and rejections. */
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import {
  FORMAT_HEADER,
  PACKED_FORMAT,
  RECORD_HEADER,
  packClicks,
  parseRecordId,
  readCounts,
  readForAnalytics,
  readForCounting,
  recordHeaders,
  type Click,
} from '../../queues/click-record';

const click = (code: string, at: number, extra: Partial<Click> = {}): Click => ({
  code, at, referrer: '', userAgent: 'Mozilla/5.0', visitorHash: 'ab'.repeat(16), bot: false, country: '', ...extra,
});
const clicks = [
  click('abc', 1_700_000_000_123, { referrer: 'https://ref.example/', country: 'DE' }),
  click('xyz', 1_700_000_000_100, { bot: true, userAgent: 'curl/8', visitorHash: '0123456789abcdef'.repeat(2) }),
  click('abc', 1_700_000_000_150),
];

describe('packed click record', () => {
  it('round-trips every field, with click ids derived from the record id', () => {
    const value = packClicks(clicks);
    const read = readForAnalytics({ headers: recordHeaders('Prod_1.42'), value });
    assert.ok(read.ok, read.ok ? '' : read.error);
    assert.deepEqual(read.value, clicks.map((c, i) => ({ ...c, clickId: `Prod_1.42.${i}` })));
  });

  it('gives the counting group per-code counts from the head alone', () => {
    const value = packClicks(clicks);
    const counts = readCounts(value);
    assert.ok(counts.ok);
    assert.deepEqual(counts.value, { total: 3, codes: ['abc', 'xyz'], counts: [2, 1] });
    // A body that is not MessagePack at all: the counting read never looks at it.
    const headOnly = Buffer.concat([pack([3, ['abc', 'xyz'], [2, 1]]), Buffer.from([0xc1, 0xc1])]);
    assert.deepEqual(readCounts(headOnly), counts);
    const read = readForCounting({ headers: recordHeaders('p.7'), value });
    assert.ok(read.ok);
    assert.deepEqual(read.value, { format: 'packed', id: { producer: 'p', seq: 7 }, total: 3, codes: ['abc', 'xyz'], counts: [2, 1] });
  });

  it('still reads format-1 records (one JSON click, no format header)', () => {
    const event = {
      click_id: '3f1c2b9e-8d7a-4c5b-9e1f-2a3b4c5d6e7f', short_code: 'old1', ts: '2026-01-02T03:04:05.678Z',
      referrer: '', user_agent: 'Mozilla/5.0', visitor_hash: 'cd'.repeat(16), bot: false,
    };
    const value = Buffer.from(JSON.stringify(event));
    const counted = readForCounting({ value });
    assert.ok(counted.ok);
    assert.deepEqual(counted.value, { format: 'click', clickId: event.click_id, codes: ['old1'], counts: [1], total: 1 });
    const rows = readForAnalytics({ headers: {}, value });
    assert.ok(rows.ok);
    assert.equal(rows.value[0].at, Date.parse(event.ts));
    assert.equal(rows.value[0].clickId, event.click_id);
  });

  it('rejects malformed records with a reason', () => {
    const good = packClicks(clicks);
    const cases: [string, Parameters<typeof readForCounting>[0], RegExp][] = [
      ['unknown format', { headers: { [FORMAT_HEADER]: 'clicks.v9', [RECORD_HEADER]: 'p.1' }, value: good }, /unknown record format/],
      ['no record id', { headers: { [FORMAT_HEADER]: PACKED_FORMAT }, value: good }, /record id/],
      ['bad record id', { headers: recordHeaders('p:x.1'), value: good }, /record id/],
      ['empty', { headers: recordHeaders('p.1'), value: null }, /empty/],
      ['not msgpack', { headers: recordHeaders('p.1'), value: Buffer.from([0xc1]) }, /not MessagePack|head is not/],
      ['wrong total', { headers: recordHeaders('p.1'), value: pack([3, ['a'], [2]]) }, /add up/],
      ['bad code', { headers: recordHeaders('p.1'), value: pack([1, ['a b'], [1]]) }, /short code/],
      ['zero count', { headers: recordHeaders('p.1'), value: pack([0, ['a'], [0]]) }, /total, codes, counts|positive/],
      ['format 1 garbage', { value: Buffer.from('{"x":1}') }, /click_id/],
    ];
    for (const [name, message, error] of cases) {
      const read = readForCounting(message);
      assert.ok(!read.ok, name);
      assert.match(read.error, error, name);
    }
    // A body that disagrees with its head fails the full read.
    const lying = Buffer.concat([pack([3, ['abc', 'xyz'], [1, 2]]), good.subarray(pack([3, ['abc', 'xyz'], [2, 1]]).length)]);
    const full = readForAnalytics({ headers: recordHeaders('p.1'), value: lying });
    assert.ok(!full.ok);
    assert.match(full.error, /do not match/);
  });

  it('parses record ids strictly', () => {
    assert.deepEqual(parseRecordId('AbC-_9.12'), { producer: 'AbC-_9', seq: 12 });
    for (const bad of ['', '.1', 'p.', 'p.-1', 'p.1.5x', 'p q.1', 'p.1e3x']) assert.equal(parseRecordId(bad), null, bad);
  });
});
