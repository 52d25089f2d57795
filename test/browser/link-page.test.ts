/**
 * A link's life in /app, in a real Chromium against a real API process, click consumer and Temporal worker:
 * find it, click it three times and read 3 on its analytics page, edit it and follow the new redirect, delete
 * it and meet the end-user 404 page. Any console or page
 * error fails the test.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../../infra/wait';
import { browserSuite, tag } from '../helpers/browser-suite';

describe('Web app in Chromium: /app links and analytics (browser)', function () {
  this.timeout(120_000);
  const s = browserSuite();

  it('signs in, finds the link in the list, clicks it three times and sees 3 on its analytics page', s.clean(async () => {
    const title = `Spring launch ${tag()}`;
    const path = `/three-${tag()}`;
    // Analytics are keyed by short code, and each test database generates codes from its own counter: a code
    // unique to this run keeps earlier runs' clicks (same ClickHouse) off this page.
    const link = await s.stack.createLink({ url: `${s.stack.landing.url}${path}`, title, tags: ['launch'], custom_code: `c${tag()}${tag()}` });
    await s.signIn();
    await s.page.getByRole('searchbox').fill(title);
    const searched = s.page.waitForResponse((r) => r.url().includes('/api/links?') && r.url().includes('q='));
    await s.page.getByRole('button', { name: 'Search' }).click();
    await searched;
    const row = s.page.locator(`tr[data-code="${link.short_code}"]`);
    await row.waitFor();
    const rows = s.page.locator('table.links tbody tr');
    await waitUntil(async () => (await rows.count()) === 1, {
      timeoutMs: 10_000,
      describe: async () => `the search shows ${await rows.count()} links, not only this one`,
    });
    await row.getByRole('link', { name: `/${link.short_code}` }).click();
    await s.page.waitForURL(`**/app/links/${link.short_code}`);
    for (let i = 0; i < 3; i++) {
      await s.followShortLink(path);
      await s.page.goBack();
      await s.page.getByTestId('short-link').waitFor();
    }
    // The clicks travel API -> Kafka -> consumer -> ClickHouse: refresh until they are there (or time out).
    const total = s.page.getByTestId('total-clicks');
    await waitUntil(
      async () => {
        if ((await total.textContent()) === '3') return true;
        const answered = s.page.waitForResponse((r) => r.url().includes(`/api/links/${link.short_code}/analytics`));
        await s.page.getByRole('button', { name: 'Refresh' }).click();
        await answered;
        return (await total.textContent()) === '3';
      },
      { timeoutMs: 60_000, intervalMs: 200, describe: async () => `the page shows ${await total.textContent()} clicks` },
    );
    assert.equal(await s.page.getByTestId('unique-visitors').textContent(), '1');
    await s.page.getByRole('img', { name: /Chart: 3 clicks/ }).waitFor();
  }));

  it('edits the destination and the redirect follows the new one', s.clean(async () => {
    const link = await s.stack.createLink({ url: `${s.stack.landing.url}/before-${tag()}` });
    const after = `/after-${tag()}`;
    await s.signIn();
    await s.page.goto(`/app/links/${link.short_code}`);
    await s.page.getByRole('button', { name: 'Edit' }).click();
    await s.page.getByLabel('Destination URL').fill(`${s.stack.landing.url}${after}`);
    await s.page.getByRole('button', { name: 'Save' }).click();
    await s.page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal(await s.page.getByTestId('destination').textContent(), `→ ${s.stack.landing.url}${after}`);
    await s.followShortLink(after);
  }));
  it('deletes a link, and its short link then shows the end-user 404 page', s.clean(async () => {
    const link = await s.stack.createLink({ url: `${s.stack.landing.url}/doomed-${tag()}` });
    await s.signIn();
    await s.page.goto(`/app/links/${link.short_code}`);
    await s.page.getByRole('button', { name: `Delete /${link.short_code}` }).click();
    await s.page.getByRole('button', { name: `Confirm delete /${link.short_code}` }).click();
    await s.page.waitForURL('**/app');
    await s.page.getByRole('status').filter({ hasText: `Deleted /${link.short_code}` }).waitFor();
    s.watch.allowStatus(404);
    const res = await s.page.goto(link.short_url);
    assert.equal(res?.status(), 404);
    await s.page.getByRole('heading', { name: 'Link not found' }).waitFor();
  }));
});
