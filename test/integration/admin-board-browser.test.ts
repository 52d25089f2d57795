/**
 * Bull Board in a real browser (Debian's chromium) under the API's Content-Security-Policy: the board's
 * scripts run, its API calls go through and the keygen queue shows; the only thing the policy refuses is
 * the board's web-font stylesheet from another origin.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startApi, type ApiHarness } from '../helpers/api';

const CHROMIUM = '/usr/bin/chromium';

describe('Bull Board under the CSP in a browser (integration)', function () {
  this.timeout(120_000);
  let api: ApiHarness;
  let browser: Browser;

  before(async function () {
    assert.ok(fs.existsSync(CHROMIUM), 'chromium is missing: `npm run stack -- up` installs it');
    api = await startApi({ ADMIN_PASSWORD: 'board-test-password' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  it('loads, runs its scripts and lists the keygen queue; nothing but the external font is refused', async () => {
    const port = (api.server.address() as AddressInfo).port;
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'board-test-password' } });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) refused.push(msg.text());
    });
    const res = await page.goto(`http://127.0.0.1:${port}/admin/queues`);
    assert.equal(res?.status(), 200);
    assert.match(String(res?.headers()['content-security-policy']), /script-src 'self'/);
    // The queue list is rendered by the board's React app from its JSON API: scripts and fetches both ran.
    await page.getByText(/keygen/i).first().waitFor({ timeout: 30_000 });
    const others = refused.filter((r) => !/fonts\.googleapis\.com/.test(r));
    assert.deepEqual(others, [], 'the policy refused something the board needs');
    await context.close();
  });
});
