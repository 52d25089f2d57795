/**
 * A link's life in /app, in a real Chromium against a real API process, click consumer and Temporal worker:
 * edit it and follow the new redirect, delete it and meet the end-user 404 page. Any console or page
 * error fails the test.
 */
import assert from 'node:assert/strict';
import { browserSuite, tag } from '../helpers/browser-suite';

describe('Web app in Chromium: /app links and analytics (browser)', function () {
  this.timeout(120_000);
  const s = browserSuite();

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
