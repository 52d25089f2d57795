/**
 * LOG_LEVEL above info must not hide a process's ready line: `npm start`'s supervisor, these tests and an
 * operator wait for it (at LOG_LEVEL=warn `npm start` used to wait for lines that never came, then fail).
 */
import assert from 'node:assert/strict';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { startPipeline, type PipelineProcs } from '../helpers/pipeline-procs';
import { ServiceProcess, freePort } from '../helpers/processes';

describe('LOG_LEVEL=warn (integration)', function () {
  this.timeout(180_000);
  let env: PipelineEnv;
  let procs: PipelineProcs | undefined;
  let keygen: ServiceProcess | undefined;

  before(async () => {
    env = await createPipelineEnv({ LOG_LEVEL: 'warn' });
  });

  after(async () => {
    await procs?.stop();
    await keygen?.kill('SIGTERM');
    await env?.close();
  });

  it('every process still prints its ready line, and no other info line', async () => {
    // Each start waits for the process's manifest ready line: before the fix, none of them printed it.
    procs = await startPipeline(env);
    keygen = new ServiceProcess('keygen', 'keygen-worker', { ...env.env, METRICS_PORT: String(await freePort()) });
    await keygen.start();
    const all = [...procs.apis, procs.consumer, procs.worker, keygen];
    for (const p of all) {
      const info = p.grep(/"level":"info"/);
      assert.equal(info.length, 1, `${p.name} printed these info lines:\n${info.join('\n')}`);
      assert.match(info[0], /"msg":"(api listening|click consumer running|temporal worker running|keygen worker ready)"/, p.name);
    }
    // And it serves: the level changed what is printed, nothing else.
    const res = await fetch(`${procs.apiUrls[0]}/health`);
    assert.equal(res.status, 200);
  });
});
