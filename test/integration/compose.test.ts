/** docker-compose.yml is for hosts with a Docker engine; without one, `docker-compose config` still validates it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { processDef } from '../../infra/processes';

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

  it('runs the API with the node flags of the process manifest, as npm start does', () => {
    const api = processDef('api');
    const expected = ['node', ...(api.nodeFlags ?? []), '--import', 'tsx', api.entry];
    for (const name of ['docker-compose.yml', 'Dockerfile']) {
      const text = readFileSync(path.join(__dirname, '..', '..', name), 'utf8');
      const commands = [...text.matchAll(/\[[^\]\n]*"api\/server\.ts"\]/g)].map((m) => JSON.parse(m[0]) as string[]);
      assert.ok(commands.length > 0, `${name} never starts api/server.ts`);
      for (const command of commands) assert.deepEqual(command, expected, `${name}: ${JSON.stringify(command)}`);
    }
  });
});
