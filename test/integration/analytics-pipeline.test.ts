/**
 * Analytics agree with the counter: real browsers' and bots' user agents from addresses in several countries
 * (X-Forwarded-For under TRUST_PROXY, the way a proxy hands the API its clients), through the real API, Kafka,
 * a click consumer killed and restarted in the middle, and ClickHouse. Once drained, every link's analytics
 * add up to GET /api/stats exactly, and the enrichment (country, browser, device, referrer host) is there.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { dropClickhouseDatabase } from '../../db/clickhouse/schema';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { startPipeline, waitForCounts, type PipelineProcs } from '../helpers/pipeline-procs';

const BROWSERS = [
  ['Chrome', 'desktop', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'],
  ['Firefox', 'desktop', 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0'],
  ['Mobile Safari', 'mobile', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'],
  ['Samsung Internet', 'mobile', 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36'],
] as const;
const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'curl/8.5.0',
];
/** Addresses and the country the shipped database gives them. */
const ADDRESSES = [
  ['8.8.8.8', 'US'],
  ['81.2.69.160', 'GB'],
  ['133.242.0.1', 'JP'],
  ['200.160.2.3', 'BR'],
  ['41.0.0.1', 'ZA'],
] as const;
const REFERRERS = ['https://news.ycombinator.com/item?id=1', 'https://t.co/abc', ''];

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function redirect(api: string, code: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${api}/${code}`, { agent, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(0));
  });
}

interface Sent {
  total: Map<string, number>;
  bots: Map<string, number>;
}

/** Sends `n` clicks over `codes` (8 concurrent), cycling agents, addresses and referrers; counts the 307s. */
async function sendClicks(api: string, codes: string[], n: number, sent: Sent, offset: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = offset + next++;
      // Different strides, so every link sees every agent, address and referrer.
      const code = codes[i % codes.length];
      const bot = Math.floor(i / 3) % 5 === 0;
      const ua = bot ? BOTS[Math.floor(i / 5) % BOTS.length] : BROWSERS[Math.floor(i / 4) % BROWSERS.length][2];
      const address = ADDRESSES[Math.floor(i / 16) % ADDRESSES.length][0];
      const headers: Record<string, string> = { 'user-agent': ua, 'x-forwarded-for': address };
      const referrer = REFERRERS[Math.floor(i / 2) % REFERRERS.length];
      if (referrer) headers.referer = referrer;
      if ((await redirect(api, code, headers)) !== 307) continue;
      sent.total.set(code, (sent.total.get(code) ?? 0) + 1);
      if (bot) sent.bots.set(code, (sent.bots.get(code) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

interface Analytics {
  totals: { clicks: number; unique_visitors: number; bots: number };
  series: Array<{ t: string; clicks: number }>;
  countries: Array<{ value: string; clicks: number }>;
  browsers: Array<{ value: string; clicks: number }>;
  devices: Array<{ value: string; clicks: number }>;
  referrers: Array<{ value: string; clicks: number }>;
}

describe('analytics agree with the click counter (real processes)', function () {
  this.timeout(300_000);
  let env: PipelineEnv;
  let procs: PipelineProcs;

  before(async function () {
    this.timeout(240_000);
    // A private ClickHouse database: the API and the consumer create it with the migrations at start.
    env = await createPipelineEnv({ TRUST_PROXY: 'true', CLICKHOUSE_DATABASE: `linkhop_an_${Date.now().toString(36)}` });
    procs = await startPipeline(env, { apis: 1 });
  });
  after(async function () {
    this.timeout(60_000);
    await procs?.stop();
    if (env) await dropClickhouseDatabase(env.config, env.config.CLICKHOUSE_DATABASE).catch(() => undefined);
    await env?.close();
  });

  it('totals match GET /api/stats for every link after a consumer restart, with countries, browsers and bots', async () => {
    const codes = await env.createLinks(4);
    const api = procs.apiUrls[0];
    const sent: Sent = { total: new Map(), bots: new Map() };

    await sendClicks(api, codes, 400, sent, 0);
    // Killed mid-load: batches it inserted but did not commit come again and must not count twice.
    const loading = sendClicks(api, codes, 400, sent, 400);
    await procs.consumer.kill('SIGKILL');
    await loading;
    await procs.consumer.start();
    await sendClicks(api, codes, 200, sent, 800);

    await waitForCounts(env, sent.total, 120_000);
    for (const code of codes) {
      const stats = await getJson<{ clicks: number }>(`${api}/api/stats/${code}`);
      assert.equal(stats.clicks, sent.total.get(code));
      const people = await getJson<Analytics>(`${api}/api/links/${code}/analytics`);
      const everyone = await getJson<Analytics>(`${api}/api/links/${code}/analytics?include_bots=true`);
      assert.equal(people.totals.clicks + people.totals.bots, stats.clicks, code);
      assert.equal(everyone.totals.clicks, stats.clicks, code);
      assert.equal(people.totals.bots, sent.bots.get(code), `${code}: bots`);
      assert.equal(everyone.totals.bots, people.totals.bots);
      assert.equal(people.series.reduce((s, p) => s + p.clicks, 0), people.totals.clicks, 'series add up to the total');
      assert.ok(people.totals.unique_visitors > 0 && people.totals.unique_visitors <= people.totals.clicks);

      const values = (list: Array<{ value: string }>) => list.map((v) => v.value).sort();
      assert.deepEqual(values(people.countries), ADDRESSES.map(([, c]) => c).sort());
      assert.deepEqual(values(people.browsers), BROWSERS.map(([b]) => b).sort());
      assert.deepEqual(values(people.devices), ['desktop', 'mobile']);
      assert.deepEqual(values(people.referrers), ['(direct)', 'news.ycombinator.com', 't.co']);
      assert.ok(values(everyone.devices).includes('bot'));
      for (const dim of [people.countries, people.browsers, people.devices, people.referrers]) {
        assert.equal(dim.reduce((s, v) => s + v.clicks, 0), people.totals.clicks);
      }
    }

    const top = await getJson<{ links: Array<{ short_code: string; clicks: number; bots: number }> }>(
      `${api}/api/analytics/top-links?include_bots=true&limit=100`,
    );
    for (const code of codes) {
      const row = top.links.find((l) => l.short_code === code);
      assert.equal(row?.clicks, sent.total.get(code), `top-links ${code}`);
    }

    // The partitions' batches of one fetch share one INSERT (ClickHouse merges every insert's parts later).
    const metrics = await (await fetch(procs.consumerMetricsUrl)).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const inserts = metric('clickhouse_insert_batches_count');
    const batches = metric('clickhouse_insert_batches_sum');
    assert.ok(inserts > 0 && batches > inserts, `${batches} partition batches in ${inserts} inserts since the restart`);

    const csv = await fetch(`${api}/api/links/${codes[0]}/clicks.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    assert.equal(lines[0], 'time,referrer,country,browser,os,device,bot');
    assert.equal(lines.length - 1, sent.total.get(codes[0]));
    const body = lines.join('\n');
    for (const [ip] of ADDRESSES) assert.ok(!body.includes(ip), 'no IP in the export');
  });
});
