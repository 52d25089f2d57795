/**
 * Secrets a local install makes for itself once and keeps in the git-ignored .cache/ (the admin password,
 * the short-code key), so a fresh clone never runs with a published value and every process of one clone
 * agrees on the same one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const CACHE_DIR = path.resolve(__dirname, '..', '.cache');
export const SHORT_CODE_KEY_FILE = 'short-code-key';
export const ADMIN_PASSWORD_FILE = 'admin-password';

/**
 * The secret kept in `dir/name`, generated (`bytes` random bytes, base64url) when the file does not exist.
 * Creation is atomic (a private temp file hard-linked into place), so processes starting together all read
 * the one that won.
 */
export function localSecret(name: string, bytes: number, dir: string = CACHE_DIR): string {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, randomBytes(bytes).toString('base64url'), { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * `env` with SHORT_CODE_KEY filled from this install's own key when a development process runs without one.
 * Tests (NODE_ENV=test) keep their fixed key and production must set one, so neither gets a file.
 */
export function withLocalSecrets(env: NodeJS.ProcessEnv, dir: string = CACHE_DIR): NodeJS.ProcessEnv {
  const mode = env.NODE_ENV ?? 'development';
  if (env.SHORT_CODE_KEY || mode !== 'development') return env;
  return { ...env, SHORT_CODE_KEY: localSecret(SHORT_CODE_KEY_FILE, 32, dir) };
}
