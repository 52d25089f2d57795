/** Orchestration: install everything first, then start services in parallel, then run schema hooks. */
import { runPostStartHooks } from './hooks';
import { aptInstall, needs } from './install';
import { withStackLock } from './lock';
import { tcpOpen } from './probes';
import { isAlive, sleep, waitFor, waitReaped } from './process';
import { StackError, StackFailure, asFailure, elapsed, printFailure, type Reporter } from './report';
import { type Service } from './services';

export interface StatusRow {
  service: string;
  up: boolean;
  pid?: number;
  endpoint: string;
}

async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const open = await Promise.all(ports.map((p) => tcpOpen(p, 500)));
  return ports.filter((_, i) => open[i]);
}

const isUp = async (s: Service) => s.pid() !== undefined && (await s.probe().catch(() => false));

/** apt runs once for the union of packages; per-service downloads (jars, binaries) run side by side. */
async function installAll(services: Service[], out: Reporter): Promise<StackFailure[]> {
  // docker-compose and Chromium are no services: the test suite validates docker-compose.yml with the first,
  // offline, and drives the web app in the second (browser builds downloaded at run time are not an option).
  const tools = [...needs('docker-compose', 'docker-compose'), ...needs('chromium', 'chromium')];
  const packages = [...new Set([...services.flatMap((s) => s.missingPackages()), ...tools])];
  if (packages.length) {
    const t0 = Date.now();
    out.progress(`… installing ${packages.join(', ')} (apt)`);
    try {
      await aptInstall(packages);
    } catch (err) {
      return [asFailure('apt', err)];
    }
    out.progress(`✔ system packages installed (${elapsed(t0)})`);
  }
  const results = await Promise.allSettled(
    services.map(async (s) => {
      const label = s.pendingInstall();
      if (!label) return;
      const t0 = Date.now();
      out.progress(`… installing ${label}`);
      await s.install().catch((err: unknown) => {
        throw new StackFailure(s.name, `installing ${label} failed`, err);
      });
      out.progress(`✔ ${s.name} installed (${elapsed(t0)})`);
    }),
  );
  return results.flatMap((r, i) => (r.status === 'rejected' ? [asFailure(services[i].name, r.reason)] : []));
}

async function bringUp(s: Service, out: Reporter): Promise<void> {
  const t0 = Date.now();
  const running = s.pid();
  if (running !== undefined && (await s.probe().catch(() => false))) {
    await s.afterReady();
    out.progress(`✔ ${s.name} already up (${elapsed(t0)})`);
    return;
  }
  if (running === undefined) {
    const busy = await busyPorts(s.ports);
    if (busy.length) {
      // No log tail: ours is stale and says nothing about the stranger holding the port.
      throw new StackFailure(s.name, `port ${busy.join(', ')} is held by a process that is not this stack's ${s.name} (see: ss -ltnp)`);
    }
    await s.start();
  }
  // Alive but not answering: most likely still starting after an interrupted `up`, so give it the same deadline.
  await waitFor(s.name, () => s.probe(), {
    timeoutMs: s.readyTimeoutMs,
    intervalMs: 250,
    bail: () => (s.pid() === undefined ? `${s.name} exited during startup` : undefined),
  });
  await s.afterReady();
  out.progress(`✔ ${s.name} ready (${elapsed(t0)})`);
}

interface UpOptions {
  hooks: boolean;
  summary: boolean;
}

async function upLocked(services: Service[], out: Reporter, opts: UpOptions): Promise<void> {
  const t0 = Date.now();
  const failures = await installAll(services, out);
  if (!failures.some((f) => f.service === 'apt')) {
    const startable = services.filter((s) => !failures.some((f) => f.service === s.name));
    const results = await Promise.allSettled(startable.map((s) => bringUp(s, out)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') failures.push(asFailure(startable[i].name, r.reason, startable[i].logFile));
    });
  }
  if (failures.length === 0 && opts.hooks) {
    await runPostStartHooks(
      services.map((s) => s.name),
      out,
    ).catch((err: unknown) => failures.push(asFailure('hooks', err)));
  }
  if (failures.length) {
    failures.forEach(printFailure);
    out.always(`✖ stack up failed (${failures.map((f) => f.service).join(', ')}) after ${elapsed(t0)}`);
    throw new StackError(failures);
  }
  if (opts.summary) out.always(`✔ stack up: ${services.length} service(s) ready in ${elapsed(t0)}`);
}

async function bringDown(s: Service, out: Reporter): Promise<void> {
  const t0 = Date.now();
  const pid = s.pid();
  if (pid === undefined) {
    const busy = await busyPorts(s.ports);
    if (busy.length) throw new Error(`not running per its pid file, yet port ${busy.join(', ')} is in use`);
    out.progress(`– ${s.name} not running`);
    return;
  }
  await s.stop();
  await waitReaped(pid);
  // Sockets can linger a moment after exit; give them a short grace before calling it a leak.
  for (let i = 0; i < 20 && (await busyPorts(s.ports)).length; i++) await sleep(100);
  const busy = await busyPorts(s.ports);
  if (isAlive(pid) || s.pid() !== undefined || busy.length) {
    throw new Error(`still running after stop (pid ${pid}${busy.length ? `, port ${busy.join(', ')}` : ''})`);
  }
  out.progress(`✔ ${s.name} stopped (${elapsed(t0)})`);
}

async function downLocked(services: Service[], out: Reporter): Promise<void> {
  const results = await Promise.allSettled(services.map((s) => bringDown(s, out)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [asFailure(services[i].name, r.reason, services[i].logFile)] : [],
  );
  if (failures.length) {
    failures.forEach(printFailure);
    throw new StackError(failures);
  }
}

const waiting = (out: Reporter) => (owner: number | undefined) =>
  out.progress(`… waiting for another stack command to finish${owner ? ` (pid ${owner})` : ''}`);

export function up(services: Service[], out: Reporter, opts: UpOptions): Promise<void> {
  return withStackLock(waiting(out), () => upLocked(services, out, opts));
}

export function down(services: Service[], out: Reporter): Promise<void> {
  return withStackLock(waiting(out), () => downLocked(services, out));
}

export async function status(services: Service[]): Promise<StatusRow[]> {
  return Promise.all(
    services.map(async (s) => {
      const pid = s.pid();
      return { service: s.name, up: await isUp(s), pid, endpoint: s.endpoint };
    }),
  );
}
