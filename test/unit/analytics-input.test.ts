/** Analytics query rules (ranges, zones, time text) and click enrichment: pure logic, no services. */
import assert from 'node:assert/strict';
import { AnalyticsQuerySchema, canonicalTimeZone, defaultInterval, resolveRange, zonedTime } from '../../api/routes/analytics.schema';
import { toClickRow } from '../../queues/click-consumer/analytics-group';
import { readForAnalytics } from '../../queues/click-record';
import { classifyAgent, referrerHost } from '../../queues/enrich/agent';
import { countryOf } from '../../queues/enrich/country';

const NOW = new Date('2026-11-30T12:00:00Z');

describe('analytics query rules', () => {
  it('defaults to the last 7 days, daily; 2 days or less is hourly', () => {
    const r = resolveRange(undefined, undefined, NOW);
    assert.ok(typeof r !== 'string');
    assert.equal(r.to.toISOString(), NOW.toISOString());
    assert.equal(r.from.toISOString(), '2026-11-23T12:00:00.000Z');
    assert.equal(defaultInterval(r), 'day');
    const short = resolveRange('2026-11-29T12:00:00Z', undefined, NOW);
    assert.ok(typeof short !== 'string');
    assert.equal(defaultInterval(short), 'hour');
  });

  it('refuses from after to, empty ranges and ranges over 400 days', () => {
    assert.equal(resolveRange('2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', NOW), 'from must be before to');
    assert.equal(resolveRange('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', NOW), 'from must be before to');
    assert.match(String(resolveRange('2025-01-01', '2026-11-01', NOW)), /400 days/);
    assert.ok(typeof resolveRange('2025-10-27', '2026-11-30', NOW) !== 'string');
  });

  it('accepts IANA zone names only, canonical as Intl knows them', () => {
    assert.equal(canonicalTimeZone('UTC'), 'UTC');
    assert.ok(['Asia/Kolkata', 'Asia/Calcutta'].includes(canonicalTimeZone('Asia/Kolkata') ?? ''));
    assert.equal(canonicalTimeZone('America/New_York'), 'America/New_York');
    for (const bad of ['Mars/Olympus', '+05:30', "UTC'; DROP TABLE x", '', 'x'.repeat(80)]) assert.equal(canonicalTimeZone(bad), null, bad);
  });

  it('validates interval and include_bots, and rejects repeated parameters', () => {
    assert.equal(AnalyticsQuerySchema.safeParse({ interval: 'week' }).success, false);
    assert.equal(AnalyticsQuerySchema.safeParse({ include_bots: 'yes' }).success, false);
    assert.equal(AnalyticsQuerySchema.safeParse({ from: ['2026-11-01', '2026-11-02'] }).success, false);
    assert.equal(AnalyticsQuerySchema.safeParse({ from: 'yesterday' }).success, false);
    assert.equal(AnalyticsQuerySchema.parse({ include_bots: 'true' }).include_bots, true);
  });

  it('writes bucket times with the zone offset of that instant', () => {
    // 2026-03-01 00:00 in Kolkata is 2026-02-28 18:30 UTC.
    assert.equal(zonedTime(Date.parse('2026-02-28T18:30:00Z') / 1000, '2026-03-01 00:00:00'), '2026-03-01T00:00:00+05:30');
    assert.equal(zonedTime(Date.parse('2026-11-01T04:00:00Z') / 1000, '2026-11-01 00:00:00'), '2026-11-01T00:00:00-04:00');
    assert.equal(zonedTime(Date.parse('2026-11-01T00:00:00Z') / 1000, '2026-11-01 00:00:00'), '2026-11-01T00:00:00Z');
  });
});

describe('click enrichment', () => {
  it('finds the country of IPv4, IPv6 and IPv4-mapped addresses, and nothing for private or bad ones', () => {
    assert.equal(countryOf('8.8.8.8'), 'US');
    assert.equal(countryOf('::ffff:81.2.69.160'), 'GB');
    assert.equal(countryOf('2a00:1450:4001::1'), 'IE');
    for (const none of ['127.0.0.1', '10.1.2.3', '::1', 'not-an-ip', '']) assert.equal(countryOf(none), '', none);
  });

  it('names browser, OS and device type, and flags bots with isbot', () => {
    const iphone = classifyAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1');
    assert.deepEqual(iphone, { browser: 'Mobile Safari', os: 'iOS', device: 'mobile', bot: false });
    const chrome = classifyAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36');
    assert.deepEqual(chrome, { browser: 'Chrome', os: 'Windows', device: 'desktop', bot: false });
    for (const ua of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'curl/8.5.0', '']) {
      assert.equal(classifyAgent(ua).bot, true, ua);
      assert.equal(classifyAgent(ua).device, 'bot');
    }
  });

  it('keeps only the referrer host', () => {
    assert.equal(referrerHost('https://News.YCombinator.com:443/item?id=1'), 'news.ycombinator.com');
    assert.equal(referrerHost(''), '');
    assert.equal(referrerHost('not a url'), '');
  });

  it('loads an event of an earlier release (no country) with empty values, and re-decides the bot flag', () => {
    const old = {
      click_id: '6f1c1d8e-3d7b-4c8e-9a51-0f6e2a9b7c11',
      short_code: 'abc1234',
      ts: '2026-11-30T10:15:30.250Z',
      referrer: 'https://t.co/x',
      user_agent: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      visitor_hash: '0123456789abcdef0123456789abcdef',
      bot: false,
    };
    const read = readForAnalytics({ value: Buffer.from(JSON.stringify(old)) });
    assert.ok(read.ok);
    const row = toClickRow(read.value[0]);
    assert.equal(row.country, '');
    assert.equal(row.is_bot, 1);
    assert.equal(row.referrer_host, 't.co');
    assert.equal(row.event_time, Date.parse('2026-11-30T10:15:30Z') / 1000);
  });
});
