/**
 * `npm start`: brings the local stack up, then runs the API and every worker under supervision, waits for
 * the API to report healthy and prints where everything is. Ctrl-C stops the processes in order; the stack
 * keeps running (`npm run stack -- down` stops it).
 */
import { LOCAL_PORTS, loadConfig } from './config';
import { ADMIN_PASSWORD_FILE, localSecret } from './local-secrets';
import { stackUp } from './stack';
import { claimStart } from './stack/lock';
import { PROCESSES, metricsEnv, metricsPorts } from './processes';
import { Supervisor, type ProcessSpec } from './supervisor';
import { ensureWebBuilt } from './web';

/** Whether the link API answers a client without a key, asked the way a client would. */
async function accessLine(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/links?limit=1`).catch(() => undefined);
  if (res?.status === 200) return 'open: no API key is defined, so anyone who reaches the API may manage links (`npm run keys -- create --name NAME --role admin` closes it)';
  if (res?.status === 401) return 'API keys required (`npm run keys -- list`)';
  return `unknown (GET /api/links answered ${res?.status ?? 'nothing'})`;
}

// Module-level so that a failure after the processes started (one never gets ready) stops them too.
let supervisor: Supervisor | undefined;

async function main(): Promise<void> {
  const started = Date.now();
  const claim = claimStart();
  if ('owner' in claim) {
    console.error(`linkhop is already running from this directory (npm start, pid ${claim.owner}); stop it first (Ctrl-C in its terminal, or kill ${claim.owner}).`);
    process.exit(1);
  }
  process.on('exit', claim.release);
  await stackUp({ quiet: false });
  await ensureWebBuilt();
  // Made once and kept in the git-ignored .cache/, unless one is configured (like the short-code key).
  const adminPassword = process.env.ADMIN_PASSWORD ?? localSecret(ADMIN_PASSWORD_FILE, 12);
  const config = loadConfig({ ...process.env, ADMIN_PASSWORD: adminPassword });
  const ports = metricsPorts();
  // Every process gets its metrics port from the manifest, so Prometheus scrapes a fixed list of targets.
  const specs: ProcessSpec[] = PROCESSES.map((def) => ({
    def,
    env: { ...metricsEnv(def, ports[def.name]), ...(def.name === 'api' ? { ADMIN_PASSWORD: adminPassword } : {}) },
  }));
  supervisor = new Supervisor();
  supervisor.start(specs);

  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('\nStopping processes (the stack keeps running; `npm run stack -- down` stops it)…\n');
      void supervisor?.stop().then(() => process.exit(0));
    });
  }

  await supervisor.ready(120_000);
  const access = await accessLine(config.BASE_URL);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      '',
      `✔ linkhop is up (${secs}s)`,
      `  API             ${config.BASE_URL}  (docs: ${config.BASE_URL}/docs, health: ${config.BASE_URL}/health)`,
      `  Temporal Web UI ${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/schedules`,
      `  Bull Board      ${config.BASE_URL}/admin/queues  (user ${config.ADMIN_USER}, password ${process.env.ADMIN_PASSWORD ? 'from ADMIN_PASSWORD' : 'in .cache/admin-password'})`,
      `  Prometheus      http://127.0.0.1:${LOCAL_PORTS.prometheus}/alerts  (scrapes every process: ${PROCESSES.map((p) => `${p.name} :${ports[p.name]}`).join(', ')})`,
      `  Access          ${access}`,
      '  Ctrl-C stops the processes.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err: unknown) => {
  console.error(`npm start failed: ${(err as Error).message ?? String(err)}`);
  // Without this, processes that did start would outlive `npm start` and hold their ports.
  await supervisor?.stop().catch(() => undefined);
  process.exit(1);
});
