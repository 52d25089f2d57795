/**
 * The web app in a real Chromium against a real API process: shorten on / and follow the link, a wrong
 * password on the end-user form, the API reference, phone width and keyboard. Any console or page error
 * fails the test.
 */
import assert from 'node:assert/strict';
import { browserSuite, tag } from '../helpers/browser-suite';

describe('Web app in Chromium: /, end-user pages, /docs (browser)', function () {
  this.timeout(120_000);
  const s = browserSuite();

  it('creates a link on / and follows it, with its QR code shown', s.clean(async () => {
    await s.signIn();
    await s.page.goto('/');
    const path = `/home-${tag()}`;
    await s.page.getByLabel('Long URL').fill(`${s.stack.landing.url}${path}`);
    await s.page.getByLabel('Long URL').press('Enter');
    const short = s.page.getByTestId('short-link');
    await short.waitFor();
    assert.match(String(await short.getAttribute('href')), new RegExp(`^${s.stack.baseUrl}/[0-9A-Za-z]{7}$`));
    await s.page.getByRole('img', { name: /QR code for/ }).waitFor();
    await s.followShortLink(path);
  }));
  it('a wrong password on a protected link shows the form again with an error', s.clean(async () => {
    const path = `/secret-${tag()}`;
    const link = await s.stack.createLink({ url: `${s.stack.landing.url}${path}`, password: 'open sesame' });
    s.watch.allowStatus(401);
    const res = await s.page.goto(link.short_url);
    assert.equal(res?.status(), 401);
    await s.page.getByLabel('Password').fill('wrong guess');
    await s.page.getByRole('button', { name: 'Continue' }).click();
    await s.page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
    assert.equal(s.stack.landing.hits.includes(path), false, 'the destination was not reached');
    await s.page.getByLabel('Password').fill('open sesame');
    await s.page.getByRole('button', { name: 'Continue' }).click();
    await s.page.waitForURL(`${s.stack.landing.url}${path}`);
  }));
  it('the API reference renders the OpenAPI document with try-it-out', s.clean(async () => {
    await s.page.goto('/docs');
    const op = s.page.locator('.opblock-summary-path', { hasText: '/api/shorten' }).first();
    await op.click();
    // Try-it-out is on from the start: the operation shows its Execute button and an example body.
    await s.page.getByRole('button', { name: 'Execute' }).first().waitFor();
    await s.page.locator('.body-param__text').first().waitFor();
  }));
  it('works at phone width: the list fits the screen and is reachable by keyboard', s.clean(async () => {
    await s.resize(375);
    await s.stack.createLink({ url: `${s.stack.landing.url}/phone-${tag()}` });
    await s.signIn();
    await s.page.locator('table.links tbody tr').first().waitFor();
    const overflow = await s.page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    // On a fresh load the first Tab reaches the skip link, which jumps to the content.
    await s.page.reload();
    await s.page.locator('table.links tbody tr').first().waitFor();
    await s.page.keyboard.press('Tab');
    assert.equal(await s.page.evaluate<string>('document.activeElement.textContent'), 'Skip to content');
  }));
});
