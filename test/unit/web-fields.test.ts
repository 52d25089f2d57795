/** The web app's form-to-API mapping: what a create and an edit send for what the user typed. */
import assert from 'node:assert/strict';
import { createBody, emptyFields, fieldsOf, patchBody } from '../../web/src/lib/fields';
import { describeDetail } from '../../web/src/lib/errors';
import { parseTags } from '../../web/src/lib/format';

describe('web: link form values', () => {
  it('a create sends only the fields that were filled in', () => {
    assert.deepEqual(createBody({ ...emptyFields(), url: ' https://example.com/a ' }), { url: 'https://example.com/a' });
    const full = createBody({
      ...emptyFields(), url: 'https://example.com/a', custom_code: 'promo', title: ' Promo ', tags: 'Launch, blog launch',
      expires_at: '2030-01-02T03:04', max_visits: '50', password: 'secret!',
    });
    assert.equal(full.custom_code, 'promo');
    assert.equal(full.title, 'Promo');
    assert.deepEqual(full.tags, ['launch', 'blog']);
    assert.equal(full.max_visits, 50);
    assert.equal(full.password, 'secret!');
    assert.equal(full.expires_at, new Date('2030-01-02T03:04').toISOString());
  });

  it('an edit clears emptied fields with null and keeps the password unless changed or removed', () => {
    const link = {
      id: 1, short_code: 'promo', original_url: 'https://example.com/a', short_url: 'http://s/promo', clicks: 0,
      created_at: '', updated_at: '', title: 'Old', tags: ['x'], max_visits: 5, expires_at: null, has_password: true,
    };
    const values = fieldsOf(link);
    assert.equal(values.tags, 'x');
    const cleared = patchBody({ ...values, title: '', tags: '', max_visits: '' });
    assert.deepEqual(cleared, { url: 'https://example.com/a', title: null, tags: null, expires_at: null, max_visits: null });
    assert.equal(patchBody({ ...values, password: 'newpass' }).password, 'newpass');
    assert.equal(patchBody({ ...values, clear_password: true, password: 'ignored' }).password, null);
  });

  it('tags are split on commas and spaces, lower-cased and deduplicated', () => {
    assert.deepEqual(parseTags(' A,b  a ,, c '), ['a', 'b', 'c']);
  });

  it('an error detail becomes one sentence: a string as is, field errors joined', () => {
    assert.equal(describeDetail('Short URL not found', 404), 'Short URL not found');
    assert.equal(
      describeDetail([{ loc: ['body', 'url'], msg: 'URL must be an absolute http:// or https:// URL' }, { loc: ['body', 'custom_code'], msg: 'too short' }], 422),
      'url: URL must be an absolute http:// or https:// URL; custom_code: too short',
    );
    assert.equal(describeDetail(undefined, 503), 'Request failed (HTTP 503)');
  });
});
