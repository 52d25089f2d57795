/** End-user pages: a browser that meets a dead short link gets a small HTML page; API clients keep JSON. */
import assert from 'node:assert/strict';
import { ensureWebBuilt } from '../../infra/web';
import { randomCode, startApi, type ApiHarness } from '../helpers/api';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('Web: end-user pages (integration)', function () {
  this.timeout(30_000);
  let api: ApiHarness;

  before(async function () {
    this.timeout(120_000);
    await ensureWebBuilt();
    api = await startApi();
  });
  after(() => api?.close());

  it('an unknown code is a 404 page for a browser, with a policy that allows nothing but its own style', async () => {
    const res = await api.http.get(`/${randomCode()}`).set('Accept', BROWSER_ACCEPT);
    assert.equal(res.status, 404);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.text, /<h1>Link not found<\/h1>/);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    // Nothing may load from another origin; only the password form's redirect may leave (form-action).
    const loads = csp.split(';').filter((d) => !d.trim().startsWith('form-action')).join(';');
    assert.doesNotMatch(loads, /https?:|\*/);
  });

  it('the same code is still the seed JSON for an API client, and HEAD has no body', async () => {
    const code = randomCode();
    const json = await api.http.get(`/${code}`).set('Accept', 'application/json');
    assert.equal(json.status, 404);
    assert.deepEqual(json.body, { detail: 'Short URL not found' });
    const plain = await api.http.get(`/${code}`);
    assert.deepEqual(plain.body, { detail: 'Short URL not found' });
    const head = await api.http.head(`/${code}`).set('Accept', BROWSER_ACCEPT);
    assert.equal(head.status, 404);
    assert.equal(head.text ?? '', '');
  });

  it('a reserved word and a path of no page are the 404 page for a browser; /api paths stay JSON', async () => {
    for (const path of ['/stats', '/no/such/page']) {
      const res = await api.http.get(path).set('Accept', BROWSER_ACCEPT);
      assert.equal(res.status, 404, path);
      assert.match(res.text, /Link not found/, path);
    }
    const apiRes = await api.http.get('/api/stats/zz').set('Accept', BROWSER_ACCEPT);
    assert.equal(apiRes.status, 404);
    assert.match(String(apiRes.headers['content-type']), /json/);
  });

  it('/ and /app are revalidated HTML under a same-origin policy; their hashed assets are cached for a year', async () => {
    for (const path of ['/', '/app', '/app/links/abc1234']) {
      const res = await api.http.get(path);
      assert.equal(res.status, 200, path);
      assert.match(String(res.headers['content-type']), /^text\/html/, path);
      assert.equal(res.headers['cache-control'], 'no-cache', path);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'; script-src 'self';/, path);
      assert.doesNotMatch(csp, /https?:|\*|unsafe-inline|unsafe-eval/, path);
      assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)/, `${path}: no inline script`);
    }
    const html = (await api.http.get('/')).text;
    const asset = /(?:src|href)="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'the page loads a hashed script');
    const res = await api.http.get(asset);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['cache-control']), /max-age=31536000.*immutable/);
    assert.equal((await api.http.get('/assets/no-such-file.js')).status, 404);
  });

  it('"app" cannot be taken as a custom code: it is the web app', async () => {
    const res = await api.http.post('/api/shorten').send({ url: 'https://example.com/', custom_code: 'app' });
    assert.equal(res.status, 422);
  });
});
