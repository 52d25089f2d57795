/** `npm run stack -- up|down|status|logs` — the local stack as plain processes on 127.0.0.1. */
import { spawn } from 'node:child_process';
import { loadConfig } from '../config';
import { PROCESSES, metricsPorts } from '../processes';
import { HOST, httpGet } from './probes';
import { tailLines } from './process';
import { StackError, reporter } from './report';
import { down, status, up } from './runner';
import { SERVICE_NAMES, selectServices } from './services';

const USAGE = `usage: npm run stack -- <command>
  up [service...] [--quiet]   install what is missing, start what is down, wait until ready
  down [service...]           stop services and verify no process is left
  status                      every service and app process (npm start): state, pid, address
  logs <service> [-f]         last 100 lines of a service's log; -f follows it
services: ${SERVICE_NAMES.join(', ')}`;

type Row = [name: string, state: string, pid: string, address: string];

/**
 * The processes `npm start` runs, probed where they serve: the API's /ready on its port, every process's
 * /metrics on the port the manifest gives it. The supervisor owns their pids, so none is shown.
 */
async function appRows(): Promise<Row[]> {
  const config = loadConfig();
  const ports = metricsPorts();
  return Promise.all(
    PROCESSES.map(async (p): Promise<Row> => {
      const metricsUrl = `http://${HOST}:${ports[p.name]}/metrics`;
      const metrics = await httpGet(metricsUrl, 1000);
      let state = metrics?.status === 200 ? 'up' : 'down';
      let address = `metrics ${metricsUrl}`;
      if (p.readyPath) {
        const ready = await httpGet(`${config.BASE_URL}${p.readyPath}`, 2000);
        state = ready === undefined ? 'down' : ready.status === 200 ? 'up' : `not ready (${ready.status})`;
        address = `${config.BASE_URL}  ${address}`;
      }
      return [`app:${p.name}`, state, '-', address];
    }),
  );
}

function printStatusTable(rows: Awaited<ReturnType<typeof status>>, apps: Row[]): void {
  const table: Row[] = [
    ['SERVICE', 'STATE', 'PID', 'ADDRESS'],
    ...rows.map((r): Row => [r.service, r.up ? 'up' : 'down', r.pid === undefined ? '-' : String(r.pid), r.endpoint]),
    ...apps,
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}\n`);
}

function logs(name: string | undefined, follow: boolean): Promise<number> {
  if (!name) throw new Error(`logs needs a service name: ${SERVICE_NAMES.join(', ')}`);
  const [service] = selectServices([name]);
  if (!follow) {
    process.stdout.write(`${tailLines(service.logFile, 100)}\n`);
    return Promise.resolve(0);
  }
  // -F keeps following across the rotation rotateLog() does on restart.
  const tail = spawn('tail', ['-n', '100', '-F', service.logFile], { stdio: 'inherit' });
  // Ctrl-C reaches tail through the terminal, but a plain `kill` of this process would orphan it.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => tail.kill(sig));
  return new Promise((resolve) => tail.on('exit', (code) => resolve(code ?? 0)));
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('-')));
  const names = rest.filter((a) => !a.startsWith('-'));
  const unknownFlags = [...flags].filter((f) => !['--quiet', '-q', '-f', '--follow'].includes(f));
  if (unknownFlags.length) throw new Error(`unknown option ${unknownFlags.join(', ')}\n${USAGE}`);
  switch (command) {
    case 'up':
      await up(selectServices(names), reporter(flags.has('--quiet') || flags.has('-q')), { hooks: true, summary: true });
      return 0;
    case 'down':
      await down(selectServices(names), reporter(false));
      return 0;
    case 'status': {
      const [rows, apps] = await Promise.all([status(selectServices(names)), names.length ? Promise.resolve([]) : appRows()]);
      printStatusTable(rows, apps);
      return 0;
    }
    case 'logs':
      return logs(names[0], flags.has('-f') || flags.has('--follow'));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new Error(`unknown command ${command}\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  // Exit explicitly: client libraries used by probes may keep idle sockets or timers alive.
  (code) => process.exit(code),
  (err: unknown) => {
    // StackError details were already printed by the runner.
    if (!(err instanceof StackError)) process.stderr.write(`✖ ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
