/** The resolver's eviction bookkeeping against real Redis and PostgreSQL. */
import assert from 'node:assert/strict';
import { eq } from 'drizzle-orm';
import { createLinkResolver, type LinkResolver } from '../../api/link-resolver';
import { linkCacheKey } from '../../db/link-cache';
import { missingLinkKey } from '../../api/link-resolver';
import { urls } from '../../db/schema';
import { createRedis } from '../../infra/clients';
import { createPg } from '../../db/client';
import { createLogger } from '../../observability/logger';
import { randomCode } from '../helpers/api';
import { testConfig } from '../helpers/test-config';

describe('link resolver evictions', () => {
  const config = testConfig();
  const { pool, db } = createPg(config, undefined, { max: 2 });
  const redis = createRedis(config, 'cache');
  let resolver: LinkResolver;
  const codes: string[] = [];

  before(() => {
    resolver = createLinkResolver({ config, log: createLogger('test', 'silent'), db, redis });
  });
  after(async () => {
    if (codes.length) await redis.del(...codes.map(linkCacheKey));
    redis.disconnect();
    await pool.end();
  });

  async function newLink(): Promise<string> {
    const code = randomCode(12);
    codes.push(code);
    await db.insert(urls).values({ shortCode: code, originalUrl: `https://example.com/${code}` });
    return code;
  }

  it('an eviction of another code does not stop an in-flight lookup from caching', async () => {
    const code = await newLink();
    const pending = resolver.resolve(code);
    resolver.forget(randomCode(12));
    assert.equal((await pending)?.url, `https://example.com/${code}`);
    assert.equal(resolver.peek(code)?.url, `https://example.com/${code}`);
  });

  it('an eviction of the same code during its lookup keeps the stale answer out of the LRU', async () => {
    const code = await newLink();
    const pending = resolver.resolve(code);
    resolver.forget(code);
    assert.equal((await pending)?.url, `https://example.com/${code}`);
    assert.equal(resolver.peek(code), undefined);
    // The next lookup caches normally again.
    await resolver.resolve(code);
    assert.equal(resolver.peek(code)?.url, `https://example.com/${code}`);
  });

  it('answers many new codes at once with a few queries, each code its own answer', async () => {
    const live = await Promise.all(Array.from({ length: 30 }, () => newLink()));
    const deleted = await newLink();
    await db.update(urls).set({ deletedAt: new Date() }).where(eq(urls.shortCode, deleted));
    const unknown = Array.from({ length: 30 }, () => randomCode(12));
    codes.push(...unknown.map((c) => c), deleted);
    const all = [...live, deleted, ...unknown].sort(() => Math.random() - 0.5);
    // Each query takes a client from the pool: its acquire events count the queries.
    let queries = 0;
    const count = () => queries++;
    pool.on('acquire', count);
    const answers = await Promise.all(all.map((c) => resolver.resolve(c))).finally(() => pool.off('acquire', count));
    all.forEach((c, i) => assert.equal(answers[i]?.url ?? null, live.includes(c) ? `https://example.com/${c}` : null, c));
    assert.ok(queries <= 3, `${queries} queries for ${all.length} codes`);
    await redis.del(...unknown.map(missingLinkKey), missingLinkKey(deleted));
  });
});

describe('link resolver with the LRU turned off', () => {
  const config = testConfig({ LRU_MAX_ENTRIES: '0' });
  const { pool, db } = createPg(config, undefined, { max: 2 });
  const redis = createRedis(config, 'cache');
  after(async () => {
    redis.disconnect();
    await pool.end();
  });

  it('LRU_MAX_ENTRIES=0 caches nothing in process', async () => {
    const resolver = createLinkResolver({ config, log: createLogger('test', 'silent'), db, redis });
    const code = randomCode(12);
    await db.insert(urls).values({ shortCode: code, originalUrl: `https://example.com/${code}` });
    assert.equal((await resolver.resolve(code))?.url, `https://example.com/${code}`);
    assert.equal(resolver.peek(code), undefined);
    await redis.del(linkCacheKey(code));
  });
});
