/**
 * `npm start`: brings the local stack up, then runs the API and every worker under supervision, waits for
 * the API to report healthy and prints where everything is. Ctrl-C stops the processes in order; the stack
 * keeps running (`npm run stack -- down` stops it).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config';
import { stackUp } from './stack';
import { Supervisor, type ProcessSpec } from './supervisor';

const ROOT = path.resolve(__dirname, '..');

/** A local admin password, made once and kept in the git-ignored .cache/, unless one is configured. */
function localAdminPassword(): string {
  const file = path.join(ROOT, '.cache', 'admin-password');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(12).toString('base64url'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

async function waitForHealthy(url: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      last = await res.json();
      if (res.ok) return last;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`API did not become healthy within ${timeoutMs / 1000}s: ${JSON.stringify(last)}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  await stackUp({ quiet: false });
  const adminPassword = process.env.ADMIN_PASSWORD ?? localAdminPassword();
  const config = loadConfig({ ...process.env, ADMIN_PASSWORD: adminPassword });
  const env = { ADMIN_PASSWORD: adminPassword };
  const specs: ProcessSpec[] = [
    { name: 'api', entry: 'api/server.ts', env },
    { name: 'temporal-worker', entry: 'activities/worker.ts' },
    { name: 'keygen-worker', entry: 'queues/keygen/worker.ts' },
    { name: 'click-consumer', entry: 'queues/click-consumer.ts' },
  ];
  const supervisor = new Supervisor(ROOT);
  supervisor.start(specs);

  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('\nStopping processes (the stack keeps running; `npm run stack -- down` stops it)…\n');
      void supervisor.stop().then(() => process.exit(0));
    });
  }

  await waitForHealthy(`${config.BASE_URL}/health`, 120_000);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      '',
      `✔ linkhop is up (${secs}s)`,
      `  API             ${config.BASE_URL}  (docs: ${config.BASE_URL}/docs, health: ${config.BASE_URL}/health)`,
      `  Temporal Web UI ${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/schedules`,
      `  Bull Board      ${config.BASE_URL}/admin/queues  (user ${config.ADMIN_USER}, password ${process.env.ADMIN_PASSWORD ? 'from ADMIN_PASSWORD' : 'in .cache/admin-password'})`,
      '  Ctrl-C stops the processes.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
