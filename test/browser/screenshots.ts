/**
 * `npm run screenshots`: the README's pictures of `/`, `/app` and a link's analytics page, taken in Chromium
 * from a real API on the real stack with real data: links made through the API, a week of clicks sent through
 * the same click sink the redirect uses (backdated, from several browsers, referrers and countries, so the
 * chart has a shape), and a few live redirects. It also prints the navigation timing of `/`.
 * Writes docs/screenshots/*.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createApiRuntime } from '../../api/wiring';
import { createLogger } from '../../observability/logger';
import { newContext } from '../helpers/browser';
import { startWebStack } from '../helpers/web-stack';
import { waitUntil } from '../../infra/wait';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const HOUR = 3_600_000;

const LINKS = [
  { url: 'https://example.com/blog/2026/spring-launch', title: 'Spring launch announcement', tags: ['launch', 'blog'], weight: 1 },
  { url: 'https://docs.example.com/getting-started', title: 'Docs: getting started', tags: ['docs'], weight: 0.35 },
  { url: 'https://newsletter.example.com/issues/42', title: 'Newsletter #42', tags: ['newsletter'], weight: 0.25 },
  { url: 'https://slides.example.com/talks/2026/exact-clicks', title: 'Conference talk slides', tags: ['talks'], weight: 0.12 },
  { url: 'https://jobs.example.com/backend-engineer', title: 'We are hiring: backend engineer', tags: ['hiring'], weight: 0.08 },
  { url: 'https://shop.example.com/sale?season=summer', title: 'Summer sale', tags: ['shop', 'campaign'], weight: 0.05, expiresDays: 30 },
  { url: 'https://partners.example.com/program', title: 'Partner program (password)', tags: ['partners'], weight: 0, password: 'partners-2026' },
];

const AGENTS = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36', 30],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 22],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 14],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36', 14],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', 10],
  ['Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 4],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 6],
] as const;
const REFERRERS = [
  ['https://news.ycombinator.com/item?id=1', 28], ['', 25], ['https://www.google.com/', 16], ['https://www.linkedin.com/feed/', 12],
  ['https://mastodon.social/@someone', 9], ['https://www.reddit.com/r/selfhosted/', 7], ['https://github.com/', 3],
] as const;
// Addresses in well-known networks of several countries; the API's geolocation database names them.
const ADDRESSES = [
  ['8.8.8.8', 30], ['81.2.69.142', 14], ['5.9.0.1', 12], ['2.2.2.2', 9], ['133.242.0.1', 8], ['200.147.67.142', 7],
  ['13.54.0.1', 5], ['91.198.174.192', 5], ['49.44.0.1', 5], ['1.2.3.4', 5],
] as const;

/** A deterministic pseudo-random sequence, so two runs draw the same pictures. */
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
function pick<T>(table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((n, [, w]) => n + w, 0);
  let r = rand() * total;
  for (const [value, w] of table) if ((r -= w) < 0) return value;
  return table[0][0];
}

async function measureHome(page: Page): Promise<string> {
  const runs: { dcl: number; load: number; fcp: number }[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto('/', { waitUntil: 'load' });
    await page.getByRole('heading', { name: 'Shorten a link' }).waitFor();
    runs.push(
      await page.evaluate<{ dcl: number; load: number; fcp: number }>(`(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : -1 };
      })()`),
    );
  }
  const median = (k: 'dcl' | 'load' | 'fcp') => runs.map((r) => r[k]).sort((a, b) => a - b)[2].toFixed(0);
  const first = runs[0];
  return (
    `/ navigation timing (ms, from navigation start): first load: DOMContentLoaded ${first.dcl.toFixed(0)}, ` +
    `first contentful paint ${first.fcp.toFixed(0)}, load ${first.load.toFixed(0)}; median of 5: ` +
    `DOMContentLoaded ${median('dcl')}, first contentful paint ${median('fcp')}, load ${median('load')}`
  );
}

async function main(): Promise<void> {
  const stack = await startWebStack({ TRUST_PROXY: 'true' });
  const log = createLogger('screenshots', 'warn');
  const runtime = createApiRuntime(stack.config, log);
  try {
    const created = [];
    for (const l of LINKS) {
      const body: Record<string, unknown> = { url: l.url, title: l.title, tags: l.tags };
      if (l.password) body.password = l.password;
      if (l.expiresDays) body.expires_at = new Date(Date.now() + l.expiresDays * 24 * HOUR).toISOString();
      created.push({ ...l, link: await stack.createLink(body) });
    }
    // A week of clicks through the redirect's own click sink: busier in the day, a launch-day peak.
    const now = Date.now();
    const expected = new Map<string, number>();
    for (const c of created) {
      const count = Math.round(900 * c.weight);
      for (let i = 0; i < count; i++) {
        const daysAgo = Math.min(6.99, -Math.log(1 - rand() * 0.95) * 2.2);
        const at = Math.round(now - daysAgo * 24 * HOUR - rand() * HOUR);
        runtime.deps.clicks.record({
          shortCode: c.link.short_code, at, referrer: pick(REFERRERS), userAgent: pick(AGENTS), ip: pick(ADDRESSES),
        });
      }
      expected.set(c.link.short_code, count);
    }
    await runtime.deps.clicks.flush();
    await waitUntil(async () => {
      for (const [code, n] of expected) {
        const res = await fetch(`${stack.baseUrl}/api/stats/${code}`, { headers: { 'X-API-Key': stack.key } });
        if (((await res.json()) as { clicks: number }).clicks !== n) return false;
      }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 500, describe: () => 'the week of clicks was not counted' });

    const context = await newContext(stack.browser, stack.baseUrl, { width: 1280 });
    const page = await context.newPage();
    await page.goto('/app');
    await page.getByLabel('API key').fill(stack.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('table.links tbody tr').first().waitFor();
    await page.screenshot({ path: path.join(OUT, 'app.png') });

    const main = created[0].link;
    await page.goto(`/app/links/${main.short_code}`);
    await page.locator('[data-testid="total-clicks"], .alert').first().waitFor();
    if (await page.locator('.alert').count()) {
      // A server without the analytics routes: say so rather than picture an error.
      process.stdout.write(`analytics page not taken: ${await page.locator('.alert').first().textContent()}\n`);
    } else {
      await page.locator('.chart canvas').waitFor();
      await page.screenshot({ path: path.join(OUT, 'analytics.png'), fullPage: true });
    }

    await page.goto('/');
    await page.getByLabel('Long URL').fill('https://example.com/blog/2026/11/how-linkhop-counts-every-click-exactly');
    await page.getByRole('button', { name: 'Shorten' }).click();
    await page.getByRole('img', { name: /QR code for/ }).waitFor();
    await page.screenshot({ path: path.join(OUT, 'home.png') });

    const phone = await newContext(stack.browser, stack.baseUrl, { width: 390 });
    const phonePage = await phone.newPage();
    await phonePage.goto('/app');
    await phonePage.getByLabel('API key').fill(stack.key);
    await phonePage.getByRole('button', { name: 'Sign in' }).click();
    await phonePage.locator('table.links tbody tr').first().waitFor();
    await phonePage.screenshot({ path: path.join(OUT, 'app-phone.png') });

    const timing = await newContext(stack.browser, stack.baseUrl);
    process.stdout.write(`${await measureHome(await timing.newPage())}\n`);
    process.stdout.write(`screenshots written to ${path.relative(process.cwd(), OUT)}/\n`);
  } finally {
    await runtime.close();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
