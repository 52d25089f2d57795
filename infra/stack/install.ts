/** System packages: find what is missing and install it with apt, as root or through passwordless sudo. */
import fs from 'node:fs';
import path from 'node:path';
import { isRoot } from './paths';
import { run, runOk } from './process';

/** Absolute path of an executable on PATH, without spawning a shell. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Package that provides cmd when it is missing, else nothing; keeps service definitions to one line each. */
export function needs(cmd: string, pkg: string): string[] {
  const present = cmd.startsWith('/') ? fs.existsSync(cmd) : which(cmd) !== undefined;
  return present ? [] : [pkg];
}

async function privilege(): Promise<'root' | 'sudo' | undefined> {
  if (isRoot) return 'root';
  if (which('sudo') && (await run('sudo', ['-n', 'true'])).code === 0) return 'sudo';
  return undefined;
}

/**
 * Installs the given Debian packages. The index is refreshed first because a fresh machine (or image)
 * may have empty apt lists; this only happens when something is actually missing.
 */
export async function aptInstall(packages: string[]): Promise<void> {
  if (packages.length === 0) return;
  const how = await privilege();
  if (!how || !which('apt-get')) {
    throw new Error(
      `missing system packages: ${packages.join(' ')}\n` +
        `install them and re-run:  sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // sudo resets the environment, so DEBIAN_FRONTEND travels on the command line through env(1).
  const apt = (args: string[], timeoutMs: number) =>
    how === 'sudo'
      ? runOk('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], { env, timeoutMs })
      : runOk('apt-get', args, { env, timeoutMs });
  await apt(['update', '-q'], 600_000);
  await apt(['install', '-y', '-q', '--no-install-recommends', ...packages], 1_800_000);
}
