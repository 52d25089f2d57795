/**
 * The security headers computed once at start-up are exactly those helmet sets when it runs per request:
 * a node:http server running helmet with the same options, and a Koa app with the securityHeaders
 * middleware, answer with the same set.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import Koa from 'koa';
import { API_SECURITY_HEADERS, HELMET_OPTIONS, SECURITY_HEADERS, securityHeaders } from '../../api/middleware/security-headers';
import type { AppState } from '../../api/deps';

/** The headers of one GET to a throwaway local server, without the ones node:http adds itself. */
async function headersOf(handler: RequestListener): Promise<IncomingHttpHeaders> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(res.headers);
      }).on('error', reject);
    });
    for (const own of ['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'transfer-encoding']) delete headers[own];
    return headers;
  } finally {
    server.close();
  }
}

const lowerCased = (h: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe('security headers (unit)', () => {
  it('helmet run per request, the Koa middleware and the captured set agree', async () => {
    const perRequest = helmet(HELMET_OPTIONS);
    const viaHelmet = await headersOf((req, res) => perRequest(req, res, () => res.end('ok')));
    const app = new Koa<AppState>();
    app.use(securityHeaders());
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const viaKoa = await headersOf(app.callback());
    assert.ok(Object.keys(viaHelmet).length >= 10, JSON.stringify(viaHelmet));
    assert.deepEqual(viaKoa, viaHelmet);
    assert.deepEqual(lowerCased(API_SECURITY_HEADERS), viaHelmet);
  });

  it('the redirect set differs only by leaving out Cross-Origin-Resource-Policy', () => {
    const { 'Cross-Origin-Resource-Policy': corp, ...rest } = API_SECURITY_HEADERS;
    assert.equal(corp, 'same-origin');
    assert.deepEqual(rest, SECURITY_HEADERS);
  });
});
