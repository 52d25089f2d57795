/**
 * insertLinks returns only what PostgreSQL chooses and fills in the rest from what it sent: the rows it
 * returns must equal the rows stored, for a link with every field set and for one with none.
 */
import assert from 'node:assert/strict';
import { insertLinks, findLinkByCode } from '../../db/links';
import { randomCode, startApi, type ApiHarness } from '../helpers/api';

describe('insertLinks: the returned rows are the stored rows (integration)', function () {
  this.timeout(30_000);
  let api: ApiHarness;
  before(async () => {
    api = await startApi();
  });
  after(() => api?.close());

  it('with every column set, with none, and with a code sent twice (the first wins)', async () => {
    const { db } = api.runtime.deps;
    const full = randomCode(12);
    const bare = randomCode(12);
    const twice = randomCode(12);
    const rows = await insertLinks(db, [
      {
        shortCode: full,
        originalUrl: 'https://example.com/every?x=1#frag',
        expiresAt: new Date(Date.now() + 3_600_000),
        maxVisits: 7,
        passwordHash: 'scrypt$1$2$3$salt$hash',
        tags: ['a', 'b-c'],
        title: 'Titre « accentué »',
        forwardQuery: false,
      },
      { shortCode: bare, originalUrl: 'https://example.com/bare' },
      { shortCode: twice, originalUrl: 'https://example.com/first' },
      { shortCode: twice, originalUrl: 'https://example.com/second' },
    ]);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.deepEqual(row, await findLinkByCode(db, row.shortCode), row.shortCode);
    assert.equal(rows.find((r) => r.shortCode === twice)?.originalUrl, 'https://example.com/first');
    // A code that exists already is skipped.
    assert.deepEqual(await insertLinks(db, [{ shortCode: bare, originalUrl: 'https://example.com/again' }]), []);
  });
});
