/** Pure helpers of the link API: cursors, query forwarding, client address, CSV quoting, self-link detection. */
import assert from 'node:assert/strict';
import { createCursorCodec } from '../../api/cursor';
import { isSelfLink } from '../../api/routes/link-body';
import { csvField } from '../../api/routes/links-export';
import { clientIp, withQuery } from '../../api/routes/redirect';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Koa from 'koa';

describe('link API helpers (unit)', () => {
  it('cursors round-trip and any change is refused with a 400', () => {
    const codec = createCursorCodec('unit-test-secret-0123456789');
    const c = codec.encode('clicks', { id: 42, clicks: 7 });
    assert.deepEqual(codec.decode(c, 'clicks'), { id: 42, clicks: 7 });
    const [payload, mac] = c.split('.');
    const forged = Buffer.from(JSON.stringify({ s: 'clicks', id: 1, clicks: 0 })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.x${mac.slice(1)}`, payload, '', '.']) {
      assert.throws(() => codec.decode(bad, 'clicks'), (e: { status?: number }) => e.status === 400, bad);
    }
    assert.throws(() => codec.decode(c, 'created'), (e: { status?: number }) => e.status === 400, 'another sort');
    assert.throws(() => createCursorCodec('another-secret-0123456789').decode(c, 'clicks'), (e: { status?: number }) => e.status === 400);
  });

  it('forwards the query string after the stored one, before the fragment', () => {
    assert.equal(withQuery('https://e.com/p', ''), 'https://e.com/p');
    assert.equal(withQuery('https://e.com/p', 'a=1'), 'https://e.com/p?a=1');
    assert.equal(withQuery('https://e.com/p?x=1', 'a=1'), 'https://e.com/p?x=1&a=1');
    assert.equal(withQuery('https://e.com/p?x=1#top', 'a=1'), 'https://e.com/p?x=1&a=1#top');
    assert.equal(withQuery('https://e.com/p?', 'a=1'), 'https://e.com/p?a=1');
  });

  it("takes the client address exactly as Koa's ctx.ip does, for every proxy setting", () => {
    const cases: [number, string | undefined, string][] = [
      [0, undefined, '10.0.0.9'],
      [0, '1.1.1.1', '10.0.0.9'],
      [1, undefined, '10.0.0.9'],
      [1, '1.1.1.1', '1.1.1.1'],
      [1, '6.6.6.6, 1.1.1.1', '1.1.1.1'],
      [2, '6.6.6.6, 1.1.1.1,2.2.2.2', '1.1.1.1'],
      [3, '1.1.1.1', '1.1.1.1'],
      [1, '', '10.0.0.9'],
    ];
    for (const [hops, xff, expected] of cases) {
      const req = { headers: xff === undefined ? {} : { 'x-forwarded-for': xff }, socket: { remoteAddress: '10.0.0.9' } } as unknown as IncomingMessage;
      const koa = new Koa({ proxy: hops > 0, maxIpsCount: hops });
      const ctx = koa.createContext(req, {} as ServerResponse);
      assert.equal(ctx.ip, expected, `Koa, ${hops} hops, ${xff}`);
      assert.equal(clientIp(req, hops), ctx.ip, `${hops} hops, X-Forwarded-For ${xff}`);
    }
  });

  it('quotes CSV fields as RFC 4180 says', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\r\nlines'), '"two\r\nlines"');
  });

  it('knows a link to this service itself, by BASE_URL host or request Host', () => {
    assert.equal(isSelfLink('https://sho.rt/abc', 'http://sho.rt', ''), true);
    assert.equal(isSelfLink('http://SHO.RT./abc', 'http://sho.rt', ''), true);
    assert.equal(isSelfLink('http://127.0.0.1:8000/x', 'http://sho.rt', '127.0.0.1:8000'), true);
    assert.equal(isSelfLink('http://127.0.0.1:9000/x', 'http://sho.rt', '127.0.0.1:8000'), false);
    assert.equal(isSelfLink('https://example.com/', 'http://sho.rt', '127.0.0.1:8000'), false);
  });
});
