/**
 * Builds the browser app (web/, TypeScript + Vite) into web/dist, which the API serves. `npm install` builds
 * it (prepare), `npm start` and `npm test` build it when it is missing or older than its sources; the output
 * is never committed.
 * Usage: tsx infra/web.ts [--if-missing | --prepare]  (--prepare: skip quietly when dev dependencies are absent)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** Where the built app lives; the API's web routes read it. */
export const WEB_DIST = path.join(ROOT, 'web', 'dist');

const PAGES = ['index.html', 'app.html', 'docs.html'];

/** Newest modification time of the app's sources (web/ without dist/), in ms. */
function newestSource(dir = path.join(ROOT, 'web')): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== WEB_DIST && entry.name !== 'node_modules') newest = Math.max(newest, newestSource(full));
    } else {
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  }
  return newest;
}

/** True when every page of the app is built and no source changed since (a stale build would test old code). */
export function webBuilt(): boolean {
  const built = PAGES.map((p) => path.join(WEB_DIST, p));
  if (!built.every((f) => fs.existsSync(f))) return false;
  return Math.min(...built.map((f) => fs.statSync(f).mtimeMs)) >= newestSource();
}

const VITE = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

/** Runs `vite build`; rejects with Vite's output when it fails. */
export async function buildWeb(): Promise<void> {
  const vite = VITE;
  if (!fs.existsSync(vite)) throw new Error('vite is not installed: run `npm install` (with dev dependencies) first');
  const child = spawn(process.execPath, [vite, 'build', '--config', path.join(ROOT, 'web', 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: path.join(ROOT, 'web'),
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`web build failed (exit ${code}):\n${output}`);
}

/** Builds the app unless an up-to-date build is already there. */
export async function ensureWebBuilt(): Promise<void> {
  if (!webBuilt()) await buildWeb();
}

if (require.main === module) {
  const started = Date.now();
  const ifMissing = process.argv.includes('--if-missing');
  if (ifMissing && webBuilt()) process.exit(0);
  if (process.argv.includes('--prepare') && !fs.existsSync(VITE)) {
    process.stdout.write('web app not built: dev dependencies are not installed (npm run build:web builds it)\n');
    process.exit(0);
  }
  buildWeb().then(
    () => process.stdout.write(`✔ web app built into web/dist (${((Date.now() - started) / 1000).toFixed(1)}s)\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
