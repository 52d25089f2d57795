/** Pure validation of the link API's input: URL rules, custom codes, reserved words and body shapes. */
import assert from 'node:assert/strict';
import { checkUrl, fieldErrors, isPossibleCode, isSeedOnlyBody, SeedShortenBodySchema, ShortenBodySchema } from '../../api/routes/links.schema';

const accepted: Array<[string, string]> = [
  ['https://example.com', 'https://example.com'],
  ['http://example.com/a/b?x=1&y=%20#frag', 'http://example.com/a/b?x=1&y=%20#frag'],
  ['HTTPS://Example.COM/Path', 'HTTPS://Example.COM/Path'],
  ['http://localhost:8080/x', 'http://localhost:8080/x'],
  ['http://127.0.0.1/', 'http://127.0.0.1/'],
  ['http://[::1]:3000/', 'http://[::1]:3000/'],
  ['https://example.com/a|b{c}', 'https://example.com/a|b{c}'],
  // Non-ASCII is stored percent-encoded (and the host as punycode), so Location can always carry it.
  ['https://example.com/café?q=ü', 'https://example.com/caf%C3%A9?q=%C3%BC'],
  ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
];

const refused: string[] = [
  '',
  'not-a-url',
  'example.com',
  '//example.com',
  'ftp://example.com/file',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'file:///etc/passwd',
  'http://',
  'http:///path',
  'http:example.com',
  'http:/example.com',
  'http://user:pass@example.com/',
  'http://user@example.com/',
  'http://@example.com/',
  'http://exa mple.com/',
  'http://example.com/a b',
  'http://example.com/\u0000',
  'http://example.com/\r\nSet-Cookie: x=1',
  'http://example.com/\t',
  'http://example.com/\u0085',
  'http://example.com/\u00a0',
  'http://example.com\\@evil.com/',
  'http://example.com:99999/',
  'http://exa_mple..com/',
  'http://-/',
  `https://example.com/${'a'.repeat(2049)}`,
  `https://example.com/${'é'.repeat(1100)}`,
];

describe('link validation (unit)', () => {
  for (const [input, stored] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      assert.deepEqual(checkUrl(input), { ok: true, url: stored });
    });
  }

  for (const input of refused) {
    it(`refuses ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`, () => {
      assert.equal(checkUrl(input).ok, false);
    });
  }

  it('accepts a URL of exactly 2048 bytes and refuses 2049', () => {
    const base = 'https://example.com/';
    assert.equal(checkUrl(base + 'a'.repeat(2048 - base.length)).ok, true);
    assert.equal(checkUrl(base + 'a'.repeat(2049 - base.length)).ok, false);
  });

  it('custom codes: 3–20 ASCII alphanumerics, reserved words refused in any case', () => {
    const ok = (custom_code: unknown) => ShortenBodySchema.safeParse({ url: 'https://e.com', custom_code }).success;
    for (const good of ['abc', 'mycode', 'A1b2C3', 'x'.repeat(20), null, undefined]) assert.equal(ok(good), true, String(good));
    for (const bad of ['ab', 'x'.repeat(21), 'my-code!', 'my code', 'café12', 'ｍｙｃｏｄｅ', '', 12345, true, {}]) {
      assert.equal(ok(bad), false, JSON.stringify(bad));
    }
    for (const reserved of ['api', 'API', 'Health', 'metrics', 'admin', 'docs', 'OpenAPI', 'favicon', 'robots', 'ready']) {
      assert.equal(ok(reserved), false, reserved);
    }
  });

  it('bodies: must be an object with a string url; an unknown field is an error that names it', () => {
    for (const body of [null, [], 42, 'https://e.com', { url: 42 }, { url: null }, { url: ['https://e.com'] }, {}]) {
      assert.equal(ShortenBodySchema.safeParse(body).success, false, JSON.stringify(body));
    }
    assert.deepEqual(ShortenBodySchema.parse({ url: 'https://e.com' }), { url: 'https://e.com' });
    const refused = ShortenBodySchema.safeParse({ url: 'https://e.com', extra: 1 });
    assert.equal(refused.success, false);
    assert.deepEqual(fieldErrors(refused.error!), [{ type: 'extra_forbidden', loc: ['body', 'extra'], msg: "Unknown field 'extra'" }]);
  });

  it('link fields: expiry in the future, max_visits >= 1, password 4-128, at most 10 tags of a-z 0-9 - _', () => {
    const ok = (extra: Record<string, unknown>) => ShortenBodySchema.safeParse({ url: 'https://e.com', ...extra }).success;
    assert.equal(ok({ expires_at: '2999-01-01T00:00:00Z', max_visits: 1, password: 'abcd', tags: ['a-b_1'], title: 't', forward_query: false }), true);
    assert.equal(ok({ expires_at: '2000-01-01T00:00:00Z' }), false, 'past expiry');
    assert.equal(ok({ expires_at: '2999-01-01T00:00:00' }), false, 'no time zone');
    assert.equal(ok({ max_visits: 0 }), false);
    assert.equal(ok({ max_visits: 1.5 }), false);
    assert.equal(ok({ password: 'abc' }), false);
    assert.equal(ok({ password: 'x'.repeat(129) }), false);
    assert.equal(ok({ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }), false);
    assert.equal(ok({ tags: ['Upper'] }), false);
    assert.equal(ok({ title: 'x'.repeat(201) }), false);
    assert.equal(ok({ forward_query: 'yes' }), false);
  });

  it('the seed-only schema answers every seed-only body exactly as the full schema does', () => {
    const bodies: unknown[] = [
      { url: 'https://e.com/a' },
      { url: 'https://e.com/a', custom_code: 'promo2030' },
      { url: 'https://e.com/a', custom_code: null },
      { url: 'not-a-url', custom_code: 'ab' },
      { url: '', custom_code: 'my-code!' },
      { url: 'javascript:alert(1)', custom_code: 'docs' },
      { url: 7 },
      { custom_code: 'abc' },
      {},
    ];
    for (const body of bodies) {
      assert.equal(isSeedOnlyBody(body), true, JSON.stringify(body));
      const full = ShortenBodySchema.safeParse(body);
      const seed = SeedShortenBodySchema.safeParse(body);
      assert.equal(seed.success, full.success, JSON.stringify(body));
      if (full.success) assert.deepEqual(seed.data, full.data);
      else assert.deepEqual(fieldErrors(seed.error!), fieldErrors(full.error!), JSON.stringify(body));
    }
    for (const body of [null, [], ['url'], 'https://e.com', 3, { url: 'https://e.com', title: 't' }, { url: 'https://e.com', extra: 1 }]) {
      assert.equal(isSeedOnlyBody(body), false, JSON.stringify(body));
    }
  });

  it('possible codes: what the redirect path may look up', () => {
    for (const code of ['abc', 'Ab3dE7g', 'x'.repeat(20)]) assert.equal(isPossibleCode(code), true, code);
    for (const code of ['ab', 'x'.repeat(21), 'a-b-c', 'abc.json', 'docs', 'Health', '', 'abc%20']) {
      assert.equal(isPossibleCode(code), false, code);
    }
  });
});
