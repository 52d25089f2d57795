/**
 * One `up`/`down` at a time per clone. Without it two test runs starting together would both see a
 * service down, both start it, and one would fail on the busy port. mkdir is atomic, so it is the lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, stackRoot } from './paths';
import { isAlive, readPid, sleep } from './process';

const LOCK = path.join(stackRoot, '.lock');
const OWNER = path.join(LOCK, 'pid');

function tryAcquire(): boolean {
  try {
    fs.mkdirSync(LOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = readPid(OWNER);
    // A lock without a live owner was left by a crashed or killed run; the owner may also be between
    // mkdir and writing its pid, so only a lock older than a few seconds counts as abandoned.
    const ageMs = Date.now() - fs.statSync(LOCK).mtimeMs;
    if ((owner !== undefined && !isAlive(owner)) || (owner === undefined && ageMs > 5000)) {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
    return false;
  }
  fs.writeFileSync(OWNER, `${process.pid}\n`);
  return true;
}

export async function withStackLock<T>(onWait: (owner: number | undefined) => void, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(stackRoot, { recursive: true });
  let announced = false;
  const deadline = Date.now() + 10 * 60_000;
  while (!tryAcquire()) {
    if (!announced) onWait(readPid(OWNER));
    announced = true;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${LOCK}; remove it if no stack command is running`);
    await sleep(200);
  }
  // A run killed by a signal skips this; the next run sees the dead owner pid and clears the lock.
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

const START_PID = path.join(repoRoot, '.cache', 'start.pid');

/**
 * One `npm start` per clone. A second one would start a second API and set of workers on the ports the first
 * holds, and each would fail and be restarted forever; instead it is told where the first one runs. The
 * running start keeps its pid in .cache/start.pid (a file left by a killed start, or whose pid now belongs
 * to another program, does not count). `file` and `needles` are for tests.
 */
export function claimStart(file = START_PID, needles = ['infra/start.ts']): { owner: number } | { release: () => void } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return {
        release: () => {
          if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readPid(file);
      if (owner !== undefined && owner !== process.pid && isAlive(owner, needles)) return { owner };
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not claim ${file}; remove it if no npm start is running`);
}
