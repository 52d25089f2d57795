/**
 * The web app in a real Chromium against a real API process: shorten and follow, sign in and read a link's
 * clicks, edit, delete, a wrong password, the API reference. Any console or page error fails the test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { waitUntil } from '../../infra/wait';
import { PageWatch, newContext } from '../helpers/browser';
import { startWebStack, type WebStack } from '../helpers/web-stack';

const tag = () => randomBytes(4).toString('hex');

describe('Web app in Chromium (browser)', function () {
  this.timeout(120_000);
  let stack: WebStack;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  before(async function () {
    this.timeout(240_000);
    stack = await startWebStack();
  });
  after(() => stack?.stop());

  beforeEach(async () => {
    context = await newContext(stack.browser, stack.baseUrl);
    page = await context.newPage();
    watch = new PageWatch(page);
  });
  afterEach(() => context?.close());

  /** A test body that also fails on any console or page error its pages reported. */
  const clean = (body: () => Promise<void>) => async () => {
    await body();
    watch.assertClean();
  };

  /** Signs in on /app with the stack's key and waits for the list. */
  async function signIn(): Promise<void> {
    await page.goto('/app');
    await page.getByLabel('API key').fill(stack.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your links' }).waitFor();
    await page.getByText('Signed in with a key').waitFor();
  }

  /** Follows the short link on the page and waits for the landing page of `path`. */
  async function followShortLink(path: string): Promise<void> {
    await page.getByTestId('short-link').click();
    await page.waitForURL(`${stack.landing.url}${path}`);
    assert.equal(await page.locator('#landing').textContent(), `landing ${path}`);
  }

  it('creates a link on / and follows it, with its QR code shown', clean(async () => {
    await signIn();
    await page.goto('/');
    const path = `/home-${tag()}`;
    await page.getByLabel('Long URL').fill(`${stack.landing.url}${path}`);
    await page.getByLabel('Long URL').press('Enter');
    const short = page.getByTestId('short-link');
    await short.waitFor();
    assert.match(String(await short.getAttribute('href')), new RegExp(`^${stack.baseUrl}/[0-9A-Za-z]{7}$`));
    await page.getByRole('img', { name: /QR code for/ }).waitFor();
    await followShortLink(path);
  }));

  it('signs in, finds the link in the list, clicks it three times and sees 3 on its analytics page', clean(async () => {
    const title = `Spring launch ${tag()}`;
    const path = `/three-${tag()}`;
    const link = await stack.createLink({ url: `${stack.landing.url}${path}`, title, tags: ['launch'] });
    await signIn();
    await page.getByRole('searchbox').fill(title);
    const searched = page.waitForResponse((r) => r.url().includes('/api/links?') && r.url().includes('q='));
    await page.getByRole('button', { name: 'Search' }).click();
    await searched;
    const row = page.locator(`tr[data-code="${link.short_code}"]`);
    await row.waitFor();
    const rows = page.locator('table.links tbody tr');
    await waitUntil(async () => (await rows.count()) === 1, {
      timeoutMs: 10_000,
      describe: async () => `the search shows ${await rows.count()} links, not only this one`,
    });
    await row.getByRole('link', { name: `/${link.short_code}` }).click();
    await page.waitForURL(`**/app/links/${link.short_code}`);
    for (let i = 0; i < 3; i++) {
      await followShortLink(path);
      await page.goBack();
      await page.getByTestId('short-link').waitFor();
    }
    // The clicks travel API -> Kafka -> consumer -> ClickHouse: refresh until they are there (or time out).
    const total = page.getByTestId('total-clicks');
    await waitUntil(
      async () => {
        if ((await total.textContent()) === '3') return true;
        const answered = page.waitForResponse((r) => r.url().includes(`/api/links/${link.short_code}/analytics`));
        await page.getByRole('button', { name: 'Refresh' }).click();
        await answered;
        return (await total.textContent()) === '3';
      },
      { timeoutMs: 60_000, intervalMs: 200, describe: async () => `the page shows ${await total.textContent()} clicks` },
    );
    assert.equal(await page.getByTestId('unique-visitors').textContent(), '1');
    await page.getByRole('img', { name: /Chart: 3 clicks/ }).waitFor();
  }));

  it('edits the destination and the redirect follows the new one', clean(async () => {
    const link = await stack.createLink({ url: `${stack.landing.url}/before-${tag()}` });
    const after = `/after-${tag()}`;
    await signIn();
    await page.goto(`/app/links/${link.short_code}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Destination URL').fill(`${stack.landing.url}${after}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal(await page.getByTestId('destination').textContent(), `→ ${stack.landing.url}${after}`);
    await followShortLink(after);
  }));

  it('deletes a link, and its short link then shows the end-user 404 page', clean(async () => {
    const link = await stack.createLink({ url: `${stack.landing.url}/doomed-${tag()}` });
    await signIn();
    await page.goto(`/app/links/${link.short_code}`);
    await page.getByRole('button', { name: `Delete /${link.short_code}` }).click();
    await page.getByRole('button', { name: `Confirm delete /${link.short_code}` }).click();
    await page.waitForURL('**/app');
    await page.getByRole('status').filter({ hasText: `Deleted /${link.short_code}` }).waitFor();
    watch.allowStatus(404);
    const res = await page.goto(link.short_url);
    assert.equal(res?.status(), 404);
    await page.getByRole('heading', { name: 'Link not found' }).waitFor();
  }));

  it('a wrong password on a protected link shows the form again with an error', clean(async () => {
    const path = `/secret-${tag()}`;
    const link = await stack.createLink({ url: `${stack.landing.url}${path}`, password: 'open sesame' });
    watch.allowStatus(401);
    const res = await page.goto(link.short_url);
    assert.equal(res?.status(), 401);
    await page.getByLabel('Password').fill('wrong guess');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
    assert.equal(stack.landing.hits.includes(path), false, 'the destination was not reached');
    await page.getByLabel('Password').fill('open sesame');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${stack.landing.url}${path}`);
  }));

  it('the API reference renders the OpenAPI document with try-it-out', clean(async () => {
    await page.goto('/docs');
    const op = page.locator('.opblock-summary-path', { hasText: '/api/shorten' }).first();
    await op.click();
    // Try-it-out is on from the start: the operation shows its Execute button and an example body.
    await page.getByRole('button', { name: 'Execute' }).first().waitFor();
    await page.locator('.body-param__text').first().waitFor();
  }));

  it('works at phone width: the list fits the screen and is reachable by keyboard', clean(async () => {
    await context.close();
    context = await newContext(stack.browser, stack.baseUrl, { width: 375 });
    page = await context.newPage();
    watch = new PageWatch(page);
    await stack.createLink({ url: `${stack.landing.url}/phone-${tag()}` });
    await signIn();
    await page.locator('table.links tbody tr').first().waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    // On a fresh load the first Tab reaches the skip link, which jumps to the content.
    await page.reload();
    await page.locator('table.links tbody tr').first().waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Skip to content');
  }));
});
