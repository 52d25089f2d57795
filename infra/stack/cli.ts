/** `npm run stack -- up|down|status|logs` — the local stack as plain processes on 127.0.0.1. */
import { spawn } from 'node:child_process';
import { tailLines } from './process';
import { StackError, reporter } from './report';
import { down, status, up } from './runner';
import { SERVICE_NAMES, selectServices } from './services';

const USAGE = `usage: npm run stack -- <command>
  up [service...] [--quiet]   install what is missing, start what is down, wait until ready
  down [service...]           stop services and verify no process is left
  status                      service, state, pid, endpoint
  logs <service> [-f]         last 100 lines of a service's log; -f follows it
services: ${SERVICE_NAMES.join(', ')}`;

function printStatusTable(rows: Awaited<ReturnType<typeof status>>): void {
  const table = [
    ['SERVICE', 'STATE', 'PID', 'ENDPOINT'],
    ...rows.map((r) => [r.service, r.up ? 'up' : 'down', r.pid === undefined ? '-' : String(r.pid), r.endpoint]),
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
      const rows = await status(selectServices(names));
      printStatusTable(rows);
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
