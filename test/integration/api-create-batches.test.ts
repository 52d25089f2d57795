/**
 * Group-committed creates against the real PostgreSQL and Redis: the creates of one event-loop turn share one
 * INSERT and one Redis pipeline, yet each gets its own answer (201, 409 or 422), a new link is in Redis before
 * its 201, only custom codes are evicted on other replicas, and a batch PostgreSQL cannot take is a 503 for
 * every create in it and writes nothing.
 */
import assert from 'node:assert/strict';
import { LINK_EVICT_CHANNEL, linkCacheKey, parseCachedLink } from '../../db/link-cache';
import { findLinkByCode } from '../../db/links';
import { HttpError } from '../../api/errors';
import { createLinkWriter, type CreateRequest } from '../../api/link-writer';
import { missingLinkKey } from '../../api/link-resolver';
import { startService, stopService } from '../../infra/stack';
import { cacheInLru, eventually, randomCode, spyOn, startApi, type ApiHarness } from '../helpers/api';

const isInsert = (q: string) => /^\s*insert into urls/i.test(q);
const isSelect = (q: string) => /^\s*select/i.test(q);

describe('API: group-committed creates (integration)', function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let replica: ApiHarness;

  before(async () => {
    [api, replica] = await Promise.all([startApi(), startApi()]);
  });
  after(() => Promise.all([api?.close(), replica?.close()]));

  const request = (code: string, custom: boolean, url = `https://example.com/${randomCode()}`): CreateRequest => ({
    link: { shortCode: code, originalUrl: url },
    custom,
  });

  it('creates of one turn are one INSERT and one Redis command; the same custom code twice gets one row and one "taken"', async () => {
    const { deps } = api.runtime;
    const writer = createLinkWriter(deps);
    const alias = randomCode(12);
    const generated = randomCode(7);
    // The alias was probed before it existed: missing in Redis and in the replica's LRU.
    assert.equal((await replica.http.get(`/${alias}`)).status, 404);
    await cacheInLru(replica, alias);
    assert.equal(replica.runtime.deps.resolver.peek(alias), null);
    assert.equal(await deps.redisCache.exists(missingLinkKey(alias)), 1);
    const spy = spyOn(deps.redisCache, deps.pool);
    let answers;
    try {
      answers = await Promise.all([
        writer.insert(request(alias, true, 'https://example.com/first')),
        writer.insert(request(alias, true, 'https://example.com/second')),
        writer.insert(request(generated, false)),
      ]);
      assert.equal(spy.sql.filter(isInsert).length, 1, spy.sql.join('\n'));
      // Background probes of the process (PING, INFO) may interleave; the batch's cache write is one command.
      const writes = spy.redis.filter((c) => !/^(PING|INFO|GET|MGET|EXISTS) /.test(c));
      assert.equal(writes.length, 1, spy.redis.join('\n'));
    } finally {
      spy.restore();
    }
    assert.equal(answers[0]?.shortCode, alias);
    assert.equal(answers[0]?.originalUrl, 'https://example.com/first');
    assert.equal(answers[1], null, 'the second create of the alias is taken');
    assert.equal(answers[2]?.shortCode, generated);
    assert.equal((await findLinkByCode(deps.db, alias))?.originalUrl, 'https://example.com/first');
    assert.equal(parseCachedLink(await deps.redisCache.get(linkCacheKey(alias)))?.original_url, 'https://example.com/first');
    assert.equal(parseCachedLink(await deps.redisCache.get(linkCacheKey(generated)))?.original_url, answers[2]?.originalUrl);
    assert.ok((await deps.redisCache.ttl(linkCacheKey(generated))) > 0, 'cached with a TTL');
    assert.equal(await deps.redisCache.exists(missingLinkKey(alias)), 0, 'the missing mark is gone');
    assert.ok(await eventually(() => replica.runtime.deps.resolver.peek(alias) === undefined, 2000), 'the replica dropped its miss');
    assert.equal((await replica.http.get(`/${alias}`).redirects(0)).status, 307);
  });

  it('a batch of generated codes publishes no eviction: nobody can have cached them', async () => {
    const writer = createLinkWriter(api.runtime.deps);
    // Its own connection (a subscriber can send nothing else), queueing SUBSCRIBE until it is connected.
    const listener = api.runtime.deps.redisCache.duplicate({ enableOfflineQueue: true });
    const heard: string[] = [];
    try {
      await listener.subscribe(LINK_EVICT_CHANNEL);
      listener.on('message', (_channel: string, message: string) => heard.push(...message.split(' ')));
      const codes = [randomCode(7), randomCode(7), randomCode(7)];
      const rows = await Promise.all(codes.map((c) => writer.insert(request(c, false))));
      assert.deepEqual(rows.map((r) => r?.shortCode), codes);
      // A custom create afterwards is published; messages arrive in order, so once it is heard, any message
      // about the generated codes would have been heard before it.
      const alias = randomCode(12);
      assert.ok(await writer.insert(request(alias, true)));
      assert.ok(await eventually(() => heard.includes(alias), 2000), 'the custom code was published');
      assert.deepEqual(heard.filter((c) => codes.includes(c)), []);
    } finally {
      listener.disconnect();
    }
  });

  it('concurrent creates of one custom code: exactly one 201, the others 409 with the exact message', async () => {
    const alias = randomCode(12);
    const responses = await Promise.all(
      [1, 2, 3].map((i) => api.http.post('/api/shorten').send({ url: `https://example.com/race/${i}`, custom_code: alias })),
    );
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409]);
    for (const r of responses.filter((x) => x.status === 409)) assert.deepEqual(r.body, { detail: `Custom code '${alias}' is already taken` });
    const winner = responses.find((r) => r.status === 201)!;
    assert.equal((await findLinkByCode(api.runtime.deps.db, alias))?.originalUrl, winner.body.original_url);
  });

  it('a mixed burst: each create gets its own answer (generated 201, custom 201, taken 409, invalid 422)', async () => {
    const taken = randomCode(12);
    assert.equal((await api.http.post('/api/shorten').send({ url: 'https://example.com/old', custom_code: taken })).status, 201);
    const fresh = randomCode(12);
    const bodies: Array<Record<string, unknown>> = [
      { url: 'https://example.com/gen/1' },
      { url: 'https://example.com/custom', custom_code: fresh },
      { url: 'https://example.com/again', custom_code: taken },
      { url: 'not-a-url' },
      { url: 'https://example.com/gen/2', title: 'full body' },
      { url: 'https://example.com/bad-code', custom_code: 'ab' },
    ];
    const responses = await Promise.all(bodies.map((b) => api.http.post('/api/shorten').send(b)));
    assert.deepEqual(responses.map((r) => r.status), [201, 201, 409, 422, 201, 422]);
    assert.equal(responses[0]!.body.original_url, 'https://example.com/gen/1');
    assert.equal(responses[0]!.body.short_code.length, 7);
    assert.equal(responses[1]!.body.short_code, fresh);
    assert.deepEqual(responses[2]!.body, { detail: `Custom code '${taken}' is already taken` });
    assert.equal(responses[4]!.body.title, 'full body');
    assert.notEqual(responses[0]!.body.short_code, responses[4]!.body.short_code);
    assert.equal((await findLinkByCode(api.runtime.deps.db, taken))?.originalUrl, 'https://example.com/old', 'the 409 changed nothing');
    for (const i of [0, 1, 4]) {
      const row = await findLinkByCode(api.runtime.deps.db, responses[i]!.body.short_code);
      assert.equal(row?.originalUrl, bodies[i]!.url);
    }
  });

  it('a new link is in Redis before its 201: a process that never saw it redirects with no SQL', async () => {
    const created = await Promise.all([
      api.http.post('/api/shorten').send({ url: 'https://example.com/cached/gen' }),
      api.http.post('/api/shorten').send({ url: 'https://example.com/cached/custom', custom_code: randomCode(12) }),
    ]);
    for (const c of created) assert.equal(c.status, 201, c.text);
    for (const target of [api, replica]) {
      const spy = spyOn(target.runtime.deps.redisCache, target.runtime.deps.pool);
      try {
        for (const c of created) {
          const res = await target.http.get(`/${c.body.short_code}`).redirects(0);
          assert.equal(res.status, 307);
          assert.equal(res.headers.location, c.body.original_url);
        }
        assert.deepEqual(spy.sql.filter(isSelect), [], 'no PostgreSQL lookup');
        assert.equal(spy.acquires, 0);
      } finally {
        spy.restore();
      }
    }
  });

  it('with PostgreSQL stopped, every create of a batch is 503 and none is written once it is back', async () => {
    const writer = createLinkWriter(api.runtime.deps);
    const codes = [randomCode(12), randomCode(12), randomCode(12)];
    let stopped = false;
    try {
      await stopService('postgres');
      stopped = true;
      const direct = await Promise.allSettled(codes.map((c) => writer.insert(request(c, true))));
      for (const d of direct) {
        assert.equal(d.status, 'rejected');
        assert.ok((d as PromiseRejectedResult).reason instanceof HttpError);
        assert.equal(((d as PromiseRejectedResult).reason as HttpError).status, 503);
      }
      const viaHttp = await Promise.all(
        codes.map((c) => api.http.post('/api/shorten').send({ url: 'https://example.com/down', custom_code: c })),
      );
      for (const r of viaHttp) assert.deepEqual([r.status, r.body], [503, { detail: 'Database unavailable' }]);
    } finally {
      if (stopped) await startService('postgres');
    }
    for (const c of codes) assert.equal(await findLinkByCode(api.runtime.deps.db, c), null, `${c} was not written`);
    // The same codes are free and the pool recovered: the next batch creates them.
    const again = await Promise.all(codes.map((c) => api.http.post('/api/shorten').send({ url: 'https://example.com/up', custom_code: c })));
    assert.deepEqual(again.map((r) => r.status), [201, 201, 201]);
  });
});
