/**
 * Start-up failures an operator can fix print one line that names the setting, not a stack trace: a
 * garbage DATABASE_URL, a database nobody answers at, a port someone else holds.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Child, freePort } from '../../infra/child';
import { processDef } from '../../infra/processes';
import { testDatabaseUrl } from '../helpers/test-config';

/** Runs the API with `env` until it exits; returns its exit code and its output lines. */
async function runApi(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const child = new Child({ name: 'api', entry: processDef('api').entry, env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env } });
  const timer = setTimeout(() => void child.stop('SIGKILL'), 60_000);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, lines: child.tail(200).split('\n').filter(Boolean) };
}

describe('Start-up errors name the setting to fix (integration)', function () {
  this.timeout(120_000);

  it('a garbage DATABASE_URL is one line about DATABASE_URL', async () => {
    const { code, lines } = await runApi({ DATABASE_URL: 'garbage', PORT: String(await freePort()), METRICS_PORT: '0' });
    assert.equal(code, 78);
    assert.deepEqual(lines.filter((l) => !/^Invalid configuration:$/.test(l)).length, 1, lines.join('\n'));
    assert.match(lines.join('\n'), /DATABASE_URL: must be a URL like postgres:\/\//);
  });

  it('a database nobody answers at is one line about DATABASE_URL', async () => {
    const dead = new URL(testDatabaseUrl());
    dead.port = String(await freePort());
    const { code, lines } = await runApi({ DATABASE_URL: dead.toString(), PORT: String(await freePort()), METRICS_PORT: '0' });
    assert.equal(code, 1);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^api cannot start: DATABASE_URL: cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/\S+ \(ECONNREFUSED\); check DATABASE_URL$/);
  });

  it('a busy port is one line about PORT', async () => {
    const holder = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const { code, lines } = await runApi({ DATABASE_URL: testDatabaseUrl(), PORT: String(port), METRICS_PORT: '0', KEYGEN_REFILL_TIMEOUT_MS: '100' });
      assert.equal(code, 1);
      const errors = lines.filter((l) => !l.startsWith('{') || /"level":"(warn|error|fatal)"/.test(l));
      assert.equal(errors.length, 1, lines.join('\n'));
      assert.equal(errors[0], `api cannot start: PORT: 127.0.0.1:${port} is already in use; stop what holds it or set PORT to a free port`);
    } finally {
      holder.close();
    }
  });
});
