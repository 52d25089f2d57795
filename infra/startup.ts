/**
 * Start-up failures an operator can fix get one line that names the setting to change, instead of a stack
 * trace: a port someone else holds, a database that cannot be reached.
 */
import type { Server } from 'node:http';

/** A failure caused by one setting; its message already says what to do. */
export class StartupError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'StartupError';
  }
}

/** Listens, turning a busy or forbidden port into a StartupError about `setting`. */
export function listen(server: Server, port: number, host: string, setting: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new StartupError(setting, `${host}:${port} is already in use; stop what holds it or set ${setting} to a free port`));
      else if (err.code === 'EACCES') reject(new StartupError(setting, `not allowed to listen on ${host}:${port}; set ${setting} to a port above 1023`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new StartupError(setting, `cannot listen on ${host}:${port} (${err.code}); check HOST`));
      else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Where a URL points, without its credentials, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

/** Wraps a failure to reach a dependency at start-up as a StartupError about the setting naming it. */
export function unreachable(setting: string, what: string, url: string, err: unknown): StartupError {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code ?? e.message ?? String(err);
  return new StartupError(setting, `cannot reach ${what} at ${describeUrl(url)} (${reason}); check ${setting}`);
}

/**
 * The catch of a process's main(): a StartupError is its one line; anything else keeps its stack, since
 * nobody knows yet what to fix.
 */
export function exitOnStartupFailure(processName: string): (err: unknown) => never {
  return (err: unknown) => {
    if (err instanceof StartupError) process.stderr.write(`${processName} cannot start: ${err.message}\n`);
    else process.stderr.write(`${processName} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
}
