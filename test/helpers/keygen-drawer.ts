/**
 * Child process of the keygen chaos test: draws `argv[2]` codes through a real keygen (config from the
 * environment the parent sets) and streams them to the parent over IPC, in paced chunks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../infra/config';
import { buildKeygen } from './keygen';

const CHUNK = 500;

export type DrawerMessage =
  | { type: 'codes'; codes: string[]; stats: import('../../queues/keygen/keygen').KeygenStats }
  | { type: 'done'; stats: import('../../queues/keygen/keygen').KeygenStats };

function send(msg: DrawerMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

async function main(): Promise<void> {
  const total = Number(process.argv[2]);
  const paceMs = Number(process.argv[3] ?? '5');
  const h = buildKeygen(loadConfig());
  await h.keygen.start();
  for (let drawn = 0; drawn < total; ) {
    const n = Math.min(CHUNK, total - drawn);
    const codes = new Array<string>(n);
    for (let i = 0; i < n; i++) codes[i] = await h.keygen.nextCode();
    drawn += n;
    await send({ type: 'codes', codes, stats: h.keygen.stats() });
    // Paced like a busy API process rather than a tight loop, so the run spans the chaos in the middle.
    await sleep(paceMs);
  }
  await send({ type: 'done', stats: h.keygen.stats() });
  await h.close();
  process.disconnect();
}

main().catch((err: unknown) => {
  console.error('keygen drawer failed:', err);
  process.exit(1);
});
