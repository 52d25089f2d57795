/** Bull Board at /admin/queues: closed to anonymous users, open to the admin, and showing the keygen queue. */
import assert from 'node:assert/strict';
import { KEYGEN_QUEUE, KEYGEN_REFILL_JOB } from '../../queues/names';
import { eventually, startApi, type ApiHarness } from '../helpers/api';
import { startKeygenWorker } from '../helpers/keygen';

const PASSWORD = 'board-password-0123';
const TOKEN = 'board-token-0123456789';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: Array<{ id: string; failedReason?: string; attempts: number }>;
}

describe('admin board (integration)', function () {
  this.timeout(60_000);
  let api: ApiHarness;
  let closed: ApiHarness;

  before(async () => {
    api = await startApi({ ADMIN_USER: 'ops', ADMIN_PASSWORD: PASSWORD, ADMIN_TOKEN: TOKEN });
    closed = await startApi({ ADMIN_USER: 'ops', ADMIN_PASSWORD: '', ADMIN_TOKEN: '' }, { migrate: false });
  });
  after(async () => {
    await api?.runtime.deps.keygenQueue.obliterate({ force: true }).catch(() => undefined);
    await closed?.runtime.deps.keygenQueue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all([api?.close(), closed?.close()]);
  });

  it('answers anonymous and wrongly authenticated requests with 401 and a challenge', async () => {
    for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/static/x.js']) {
      const res = await api.http.get(path);
      assert.equal(res.status, 401, path);
      assert.match(res.headers['www-authenticate'] ?? '', /^Basic realm=/);
      assert.deepEqual(res.body, { detail: 'Admin credentials required' });
    }
    for (const auth of [basic('ops', 'wrong'), basic('root', PASSWORD), `Bearer ${TOKEN}x`, 'Bearer ', 'Basic !!!']) {
      const res = await api.http.get('/admin/queues/api/queues').set('Authorization', auth);
      assert.equal(res.status, 401, auth);
    }
  });

  it('serves the board and its API, listing the keygen queue, to basic auth and to the bearer token', async () => {
    const page = await api.http.get('/admin/queues').set('Authorization', basic('ops', PASSWORD));
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    for (const auth of [basic('ops', PASSWORD), `Bearer ${TOKEN}`]) {
      const res = await api.http.get('/admin/queues/api/queues').set('Authorization', auth);
      assert.equal(res.status, 200, auth);
      const names = (res.body as { queues: BoardQueue[] }).queues.map((q) => q.name);
      assert.ok(names.includes(KEYGEN_QUEUE), `board lists ${JSON.stringify(names)}`);
    }
  });

  it('shows a failed refill job to the operator', async () => {
    const worker = startKeygenWorker(api.config);
    try {
      await api.runtime.deps.keygenQueue.add(KEYGEN_REFILL_JOB, { processId: 'bad', seq: 1, size: 0 }, { jobId: 'keygen-refill:bad:1' });
      const listFailed = async () => {
        const res = await api.http
          .get(`/admin/queues/api/queues?activeQueue=${KEYGEN_QUEUE}&status=failed&page=1&jobsPerPage=10`)
          .set('Authorization', `Bearer ${TOKEN}`);
        return (res.body as { queues: BoardQueue[] }).queues.find((q) => q.name === KEYGEN_QUEUE);
      };
      assert.ok(await eventually(async () => ((await listFailed())?.counts.failed ?? 0) >= 1, 10_000), 'failed job counted');
      const job = (await listFailed())?.jobs.find((j) => j.id === 'keygen-refill:bad:1');
      assert.match(job?.failedReason ?? '', /invalid refill request/);
    } finally {
      await worker.close();
    }
  });

  it('refuses cross-origin state changes even with valid credentials', async () => {
    const res = await api.http
      .put(`/admin/queues/api/queues/${KEYGEN_QUEUE}/pause`)
      .set('Authorization', basic('ops', PASSWORD))
      .set('Origin', 'https://evil.example');
    assert.equal(res.status, 403);
    assert.equal(await api.runtime.deps.keygenQueue.isPaused(), false);
    // The same request from the board's own origin goes through (so the 403 above is the origin check).
    const own = await api.http
      .put(`/admin/queues/api/queues/${KEYGEN_QUEUE}/pause`)
      .set('Authorization', basic('ops', PASSWORD))
      .set('Origin', `http://127.0.0.1:${(api.server.address() as { port: number }).port}`);
    assert.ok(own.status < 300, `status ${own.status}`);
    assert.equal(await api.runtime.deps.keygenQueue.isPaused(), true);
    await api.runtime.deps.keygenQueue.resume();
  });

  it('stays closed (401 for everyone) when neither password nor token is configured', async () => {
    for (const auth of [undefined, basic('ops', ''), basic('admin', ''), 'Bearer ', 'Bearer undefined']) {
      const req = closed.http.get('/admin/queues/api/queues');
      const res = await (auth ? req.set('Authorization', auth) : req);
      assert.equal(res.status, 401, String(auth));
    }
  });
});
