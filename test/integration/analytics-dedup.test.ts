/**
 * The analytics group's redelivery check against a real ClickHouse: of each record only the first and last
 * click ids are looked up, so these cases pin down that a whole record, none of it, and a record an
 * interrupted insert split (either end stored) each come out exactly as ClickHouse lacks them.
 */
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import { insertClicks, type ClickRow } from '../../db/clickhouse/clicks';
import { dropClickhouseDatabase, runClickhouseMigrations } from '../../db/clickhouse/schema';
import { createClickHouse } from '../../infra/clients';
import type { Config } from '../../infra/config';
import { newRows } from '../../queues/click-consumer/analytics-group';
import { testConfig, uniqueSuffix } from '../helpers/test-config';

const NOW = Math.floor(Date.now() / 1000);

/** A packed record's clicks: ids `<record>.<i>`, as the producer numbers them. */
function record(id: string, clicks: number, code = 'dedupcode'): ClickRow[] {
  return Array.from({ length: clicks }, (_, i) => ({
    click_id: `${id}.${i}`,
    short_code: code,
    event_time: NOW + i,
    referrer: '',
    user_agent: 'test',
    visitor_hash: '0'.repeat(32),
    is_bot: 0,
    referrer_host: '',
    country: '',
    browser: '',
    os: '',
    device: '',
  }));
}

const ids = (rows: readonly ClickRow[]) => rows.map((r) => r.click_id).sort();

describe('analytics redelivery check (real ClickHouse)', function () {
  this.timeout(60_000);
  let config: Config;
  let ch: ClickHouseClient;

  before(async () => {
    config = testConfig({ CLICKHOUSE_DATABASE: `linkhop_dd_${uniqueSuffix()}` });
    await runClickhouseMigrations(config);
    ch = createClickHouse(config);
  });
  after(async () => {
    await ch?.close();
    if (config) await dropClickhouseDatabase(config, config.CLICKHOUSE_DATABASE);
  });

  it('returns exactly the clicks ClickHouse lacks: whole records, split records and repeats', async () => {
    const whole = record('p1:1', 5);
    const headOnly = record('p1:2', 4, 'othercode');
    const tailOnly = record('p1:3', 6);
    const fresh = record('p1:4', 3);
    const single = record('format1-click', 1, 'othercode');
    // Stored before: all of one record, the first click of another, the last two of a third.
    await insertClicks(ch, [...whole, headOnly[0], ...tailOnly.slice(4)]);

    const missing = await newRows(ch, [whole, headOnly, tailOnly, fresh, single, [...fresh]]);
    assert.deepEqual(ids(missing), ids([...headOnly.slice(1), ...tailOnly.slice(0, 4), ...fresh, ...single]));

    await insertClicks(ch, missing);
    assert.deepEqual(await newRows(ch, [whole, headOnly, tailOnly, fresh, single]), []);
    assert.deepEqual(await newRows(ch, []), []);
  });

  it('stores any text byte for byte: tabs, newlines, backslashes, quotes, NUL and non-ASCII', async () => {
    const [row] = record('p1:5', 1, 'textcode');
    const stored: ClickRow = {
      ...row,
      referrer: 'https://example.com/a\tb?q=1\\2&r=\'x\'',
      user_agent: 'Mozilla/5.0 (tab\there; newline\nthere; cr\rthere; nul\0there; back\\slash; "quoted") Ünïcødé 日本 🙂',
      referrer_host: 'example.com',
      browser: 'Tab\tBrowser',
      os: 'Line\nOS',
      device: 'desk\\top\b\f\x01\\N',
      is_bot: 1,
    };
    await insertClicks(ch, [stored]);
    const rs = await ch.query({
      query: `SELECT click_id, short_code, toUnixTimestamp(event_time) AS event_time, referrer, user_agent, visitor_hash,
                     is_bot, referrer_host, country, browser, os, device
              FROM click_events WHERE click_id = 'p1:5.0'`,
      format: 'JSONEachRow',
    });
    const [back] = await rs.json<ClickRow>();
    assert.deepEqual({ ...back, event_time: Number(back.event_time), is_bot: Number(back.is_bot) }, stored);
  });
});
