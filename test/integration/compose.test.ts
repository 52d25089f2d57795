/** docker-compose.yml is for hosts with a Docker engine; without one, `docker-compose config` still validates it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

describe('docker-compose.yml', () => {
  const file = path.join(__dirname, '..', '..', 'docker-compose.yml');

  it('validates with docker-compose config and names every service of the design', () => {
    // An empty environment: the file must validate without any variable set.
    const out = execFileSync('docker-compose', ['-f', file, 'config', '--services'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    const services = out.trim().split('\n').sort();
    for (const name of [
      'postgres', 'redis-cache', 'redis-queue', 'kafka', 'clickhouse', 'temporal', 'temporal-ui',
      'api-1', 'api-2', 'api-3', 'nginx', 'temporal-worker', 'keygen-worker', 'click-consumer',
      'prometheus', 'grafana', 'setup',
    ]) {
      assert.ok(services.includes(name), `${name} missing from ${services.join(', ')}`);
    }
    execFileSync('docker-compose', ['-f', file, 'config', '-q'], { env: { PATH: process.env.PATH } });
  });
});
