/**
 * The analytics routes over rows written straight into a private ClickHouse database (real PostgreSQL and
 * ClickHouse, no pipeline): local days and hours of non-UTC zones (including a daylight-saving day), zero-filled
 * series, top values with "other", bots in and out, rows of earlier releases, the CSV export, and bad input
 * that always gets a 4xx {"detail"} and never ClickHouse's text.
 */
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import { insertClicks, type ClickRow } from '../../db/clickhouse/clicks';
import { dropClickhouseDatabase, runClickhouseMigrations } from '../../db/clickhouse/schema';
import { createApiKey } from '../../db/api-keys';
import { insertLink } from '../../db/links';
import { createClickHouse } from '../../infra/clients';
import { randomCode, startApi, type ApiHarness } from '../helpers/api';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { uniqueSuffix } from '../helpers/test-config';

let seq = 0;
const at = (iso: string) => Date.parse(iso) / 1000;

function row(code: string, iso: string, over: Partial<ClickRow> = {}): ClickRow {
  seq++;
  return {
    click_id: `test-${uniqueSuffix()}-${seq}`,
    short_code: code,
    event_time: at(iso),
    referrer: '',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
    visitor_hash: (seq % 7).toString(16).padStart(32, '0'),
    is_bot: 0,
    referrer_host: '',
    country: 'FR',
    browser: 'Firefox',
    os: 'Linux',
    device: 'desktop',
    ...over,
  };
}

describe('analytics API (rows written directly to ClickHouse)', function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let ch: ClickHouseClient;
  const database = `linkhop_at_${uniqueSuffix()}`;

  before(async function () {
    this.timeout(120_000);
    api = await startApi({ CLICKHOUSE_DATABASE: database });
    await runClickhouseMigrations(api.config);
    ch = createClickHouse(api.config);
  });
  after(async () => {
    await ch?.close();
    await api?.close();
    if (api) await dropClickhouseDatabase(api.config, database);
  });

  async function link(rows: (code: string) => ClickRow[]): Promise<string> {
    const code = randomCode();
    assert.ok(await insertLink(api.runtime.deps.db, code, 'https://example.com/'));
    await insertClicks(ch, rows(code));
    return code;
  }

  it('buckets by local days of a non-UTC zone, zero-filled, with times in that zone', async () => {
    // 23:59 and 00:01 in Kolkata: one UTC day, two local days.
    const code = await link((c) => [row(c, '2026-03-01T18:29:00Z'), row(c, '2026-03-01T18:31:00Z'), row(c, '2026-03-03T10:00:00Z')]);
    const res = await api.http.get(`/api/links/${code}/analytics`).query({
      from: '2026-03-01T00:00:00+05:30', to: '2026-03-05T00:00:00+05:30', interval: 'day', tz: 'Asia/Kolkata',
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.series.map((p: { t: string; clicks: number }) => [p.t, p.clicks]),
      [['2026-03-01T00:00:00+05:30', 1], ['2026-03-02T00:00:00+05:30', 1], ['2026-03-03T00:00:00+05:30', 1], ['2026-03-04T00:00:00+05:30', 0]],
    );
    assert.equal(res.body.from, '2026-03-01T00:00:00+05:30');
    assert.equal(res.body.to, '2026-03-05T00:00:00+05:30');
    assert.equal(res.body.totals.clicks, 3);

    const utc = await api.http.get(`/api/links/${code}/analytics`).query({ from: '2026-03-01', to: '2026-03-03', interval: 'day' });
    assert.deepEqual(utc.body.series.map((p: { clicks: number }) => p.clicks), [2, 0]);
  });

  it('gives a 25-hour local day 25 hourly buckets (New York, end of daylight saving time)', async () => {
    const code = await link((c) => [row(c, '2026-11-01T05:30:00Z'), row(c, '2026-11-01T06:30:00Z')]);
    const res = await api.http.get(`/api/links/${code}/analytics`).query({
      from: '2026-11-01T00:00:00-04:00', to: '2026-11-02T00:00:00-05:00', interval: 'hour', tz: 'America/New_York',
    });
    assert.equal(res.status, 200, res.text);
    const series = res.body.series as Array<{ t: string; clicks: number }>;
    assert.equal(series.length, 25);
    // 01:30 EDT and 01:30 EST: the same wall-clock hour twice, two buckets.
    assert.deepEqual(series.filter((p) => p.clicks > 0).map((p) => p.t), ['2026-11-01T01:00:00-04:00', '2026-11-01T01:00:00-05:00']);
  });

  it('counts bots apart unless include_bots, and lists the top 10 values plus "other"', async () => {
    const code = await link((c) => [
      ...Array.from({ length: 12 }, (_, i) =>
        Array.from({ length: 12 - i }, () => row(c, '2026-10-10T10:00:00Z', { referrer_host: `site${i}.example` })),
      ).flat(),
      row(c, '2026-10-10T10:05:00Z', { is_bot: 1, device: 'bot', browser: '', os: '', country: '' }),
      row(c, '2026-10-10T10:06:00Z', { is_bot: 1, device: 'bot', browser: '', os: '', country: '' }),
    ]);
    const query = { from: '2026-10-10T00:00:00Z', to: '2026-10-11T00:00:00Z' };
    const people = await api.http.get(`/api/links/${code}/analytics`).query(query);
    assert.equal(people.status, 200, people.text);
    assert.equal(people.body.interval, 'hour');
    assert.deepEqual(people.body.totals, { clicks: 78, unique_visitors: 7, bots: 2 });
    const refs = people.body.referrers as Array<{ value: string; clicks: number }>;
    assert.equal(refs.length, 11);
    assert.deepEqual(refs[0], { value: 'site0.example', clicks: 12 });
    assert.deepEqual(refs.at(-1), { value: 'other', clicks: 3 });
    assert.deepEqual(people.body.devices, [{ value: 'desktop', clicks: 78 }]);

    const everyone = await api.http.get(`/api/links/${code}/analytics`).query({ ...query, include_bots: 'true' });
    assert.equal(everyone.body.totals.clicks, 80);
    assert.equal(everyone.body.totals.bots, 2);
    assert.deepEqual(everyone.body.countries, [{ value: 'FR', clicks: 78 }, { value: '(unknown)', clicks: 2 }]);
  });

  it('loads rows of earlier releases (no enrichment) with empty values', async () => {
    const code = randomCode();
    await insertLink(api.runtime.deps.db, code, 'https://example.com/');
    await ch.insert({
      table: 'click_events',
      format: 'JSONEachRow',
      values: [{ click_id: `old-${uniqueSuffix()}`, short_code: code, event_time: at('2026-10-01T08:00:00Z'), referrer: '', user_agent: 'x', visitor_hash: '0'.repeat(32), is_bot: 0 }],
    });
    const res = await api.http.get(`/api/links/${code}/analytics`).query({ from: '2026-10-01', to: '2026-10-02' });
    assert.equal(res.body.totals.clicks, 1);
    assert.deepEqual(res.body.countries, [{ value: '(unknown)', clicks: 1 }]);
    assert.deepEqual(res.body.referrers, [{ value: '(direct)', clicks: 1 }]);
  });

  it('ranks top links over whole and partial days, and streams a link as CSV without IPs or hashes', async () => {
    const a = await link((c) => [row(c, '2026-09-01T23:50:00Z'), row(c, '2026-09-02T12:00:00Z'), row(c, '2026-09-03T00:10:00Z')]);
    const b = await link((c) => [row(c, '2026-09-02T01:00:00Z', { referrer: 'https://x.example/a,"b"', referrer_host: 'x.example' })]);
    const top = await api.http.get('/api/analytics/top-links').query({ from: '2026-09-01T23:45:00Z', to: '2026-09-03T00:15:00Z', limit: 2 });
    assert.equal(top.status, 200, top.text);
    assert.deepEqual(top.body.links, [{ short_code: a, clicks: 3, bots: 0 }, { short_code: b, clicks: 1, bots: 0 }]);
    const narrow = await api.http.get('/api/analytics/top-links').query({ from: '2026-09-02T00:00:00Z', to: '2026-09-03T00:00:00Z', limit: 2 });
    assert.deepEqual(narrow.body.links.map((l: { clicks: number }) => l.clicks), [1, 1]);

    const csv = await api.http.get(`/api/links/${b}/clicks.csv`).query({ from: '2026-09-01', to: '2026-09-03' });
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.headers['content-disposition'], new RegExp(`${b}-clicks\\.csv`));
    assert.equal(
      csv.text,
      'time,referrer,country,browser,os,device,bot\n"2026-09-02T01:00:00Z","https://x.example/a,""b""","FR","Firefox","Linux","desktop",0\n',
    );
  });

  it('answers bad input with a 4xx {"detail"}, never a 5xx or ClickHouse text', async () => {
    const code = await link((c) => [row(c, '2026-10-01T00:00:00Z')]);
    const cases: Array<[string, number]> = [
      [`/api/links/${code}/analytics?from=2026-10-02&to=2026-10-01`, 400],
      [`/api/links/${code}/analytics?from=2025-01-01&to=2026-10-01`, 400],
      [`/api/links/${code}/analytics?interval=week`, 400],
      [`/api/links/${code}/analytics?tz=Mars/Olympus`, 400],
      [`/api/links/${code}/analytics?tz=UTC%27%20OR%201`, 400],
      [`/api/links/${code}/analytics?from=yesterday`, 400],
      [`/api/links/${code}/analytics?include_bots=maybe`, 400],
      [`/api/links/${code}/analytics?from=2026-10-01&from=2026-10-02`, 400],
      [`/api/links/${randomCode()}/analytics`, 404],
      [`/api/links/no-such!/analytics`, 404],
      ['/api/analytics/top-links?limit=0', 400],
      ['/api/analytics/top-links?limit=1000', 400],
      ['/api/analytics/top-links?from=2026-10-02&to=2026-10-01', 400],
      [`/api/links/${code}/clicks.csv?from=2024-01-01&to=2026-01-01`, 400],
      [`/api/links/${randomCode()}/clicks.csv`, 404],
    ];
    for (const [url, status] of cases) {
      const res = await api.http.get(url);
      assert.equal(res.status, status, `${url}: ${res.text}`);
      assert.equal(typeof res.body.detail, 'string', url);
      assert.doesNotMatch(res.text, /DB::|Exception|ClickHouse/, url);
    }
  });

  it('answers 503 without ClickHouse text when ClickHouse is unreachable', async () => {
    const down = await startApi({ CLICKHOUSE_URL: 'http://127.0.0.1:9', CLICKHOUSE_DATABASE: database });
    try {
      const code = randomCode();
      await insertLink(down.runtime.deps.db, code, 'https://example.com/');
      const res = await down.http.get(`/api/links/${code}/analytics`);
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { detail: 'Analytics unavailable' });
    } finally {
      await down.close();
    }
  });
});

describe('analytics access follows link ownership (API keys in a private database)', function () {
  this.timeout(60_000);
  let env: PipelineEnv;
  let api: ApiHarness;
  let ch: ClickHouseClient;
  const database = `linkhop_ak_${uniqueSuffix()}`;

  before(async function () {
    this.timeout(120_000);
    // Keys switch a database to keyed mode: a private one keeps the shared test database open.
    env = await createPipelineEnv({}, { kafka: false });
    api = await startApi({ DATABASE_URL: env.config.DATABASE_URL, CLICKHOUSE_DATABASE: database });
    await runClickhouseMigrations(api.config);
    ch = createClickHouse(api.config);
  });
  after(async () => {
    await ch?.close();
    await api?.close();
    if (api) await dropClickhouseDatabase(api.config, database);
    await env?.close();
  });

  it("lets a viewer key read its own links' analytics only; admin reads all; no key is a 401", async () => {
    const { db } = api.runtime.deps;
    const a = await createApiKey(db, 'viewer a', 'viewer');
    const b = await createApiKey(db, 'viewer b', 'viewer');
    const admin = await createApiKey(db, 'admin', 'admin');
    const codeA = randomCode();
    const codeB = randomCode();
    await env.pool.query('INSERT INTO urls (short_code, original_url, owner_key_id) VALUES ($1, $3, $4), ($2, $3, $5)', [
      codeA, codeB, 'https://example.com/', a.row.id, b.row.id,
    ]);
    await insertClicks(ch, [row(codeA, '2026-10-05T10:00:00Z'), row(codeB, '2026-10-05T10:00:00Z'), row(codeB, '2026-10-05T11:00:00Z')]);
    const range = { from: '2026-10-05', to: '2026-10-06' };
    const get = (url: string, key?: string) => {
      const req = api.http.get(url).query(range);
      return key ? req.set('X-API-Key', key) : req;
    };

    assert.equal((await get(`/api/links/${codeA}/analytics`)).status, 401);
    assert.equal((await get('/api/analytics/top-links')).status, 401);
    const own = await get(`/api/links/${codeA}/analytics`, a.key);
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.totals.clicks, 1);
    for (const url of [`/api/links/${codeB}/analytics`, `/api/links/${codeB}/clicks.csv`]) {
      const res = await get(url, a.key);
      assert.equal(res.status, 404, url);
      assert.deepEqual(res.body, { detail: 'Short URL not found' });
    }
    const topA = await get('/api/analytics/top-links', a.key);
    assert.deepEqual(topA.body.links, [{ short_code: codeA, clicks: 1, bots: 0 }]);
    const topAdmin = await get('/api/analytics/top-links', admin.key);
    assert.deepEqual(topAdmin.body.links.map((l: { short_code: string }) => l.short_code), [codeB, codeA]);
    assert.equal((await get(`/api/links/${codeB}/analytics`, admin.key)).status, 200);
  });
});
