/**
 * Keygen throughput from one process: codes per second from a warm local pool (one block reserved up front,
 * low watermark 0, so no refill is on the measured path), next to the bare codec's encode rate.
 * Run: `npx tsx bench/keygen.ts [codes]`; the main bench imports runKeygenBench.
 */
import os from 'node:os';
import { createRedis } from '../infra/clients';
import { createPg } from '../db/client';
import { loadConfig, type Config } from '../infra/config';
import { createLogger } from '../observability/logger';
import { createCodec } from '../queues/keygen/codec';
import { createKeygenRuntime } from '../queues/keygen/runtime';

export interface KeygenBenchOptions {
  /** Codes drawn in the measured run (default 500,000; at most 1,000,000, one block). */
  codes?: number;
  /** Base config (default: loadConfig()); the bench overrides block size, watermark, key and prefix. */
  config?: Config;
}

export interface KeygenBenchResult {
  command: string;
  machine: { cpuModel: string; cpus: number; node: string };
  codes: number;
  seconds: number;
  codesPerSecond: number;
  /** The codec alone (no pool, no promise), for scale. */
  encodePerSecond: number;
  /** Blocks reserved during the measured run: 0 means no refill was on the path. */
  refillsDuringRun: number;
  /** Where the warm-up block came from (queue when a keygen worker fills the bench's block list, else direct). */
  warmupSource: 'queue' | 'direct';
}

/** Measures keygen.nextCode() from a warm pool; needs PostgreSQL (and uses the queue Redis if up). */
export async function runKeygenBench(opts: KeygenBenchOptions = {}): Promise<KeygenBenchResult> {
  const codes = Math.min(opts.codes ?? 500_000, 1_000_000);
  const base = opts.config ?? loadConfig();
  // Its own allocator key and queue prefix: the bench never spends the production ID space or queue.
  const config: Config = Object.freeze({
    ...base,
    ID_BLOCK_SIZE: codes,
    KEYGEN_LOW_WATERMARK: 0,
    ID_ALLOCATOR_KEY: 'bench-keygen',
    DEPLOYMENT_PREFIX: 'bench-keygen',
  });
  const log = createLogger('bench-keygen', 'error');
  const { pool } = createPg(config, log, { max: 2 });
  const redis = createRedis(config, 'queue', log);
  const runtime = createKeygenRuntime(config, log, pool, redis);
  const { keygen, queue } = runtime;
  try {
    await keygen.start();
    const warm = keygen.stats();
    if (warm.available !== codes) throw new Error(`warm-up failed: pool holds ${warm.available} of ${codes} IDs`);

    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (let i = 0; i < codes; i++) sink += (await keygen.nextCode()).length;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = keygen.stats();
    if (sink !== codes * 7) throw new Error('a code was not 7 characters');

    const codec = createCodec(config.SHORT_CODE_KEY);
    const e0 = process.hrtime.bigint();
    for (let i = 0; i < codes; i++) sink += codec.encode(i).length;
    const encodeSeconds = Number(process.hrtime.bigint() - e0) / 1e9;

    const cpus = os.cpus();
    return {
      command: `npx tsx bench/keygen.ts ${codes}`,
      machine: { cpuModel: cpus[0]?.model ?? 'unknown', cpus: cpus.length, node: process.version },
      codes,
      seconds,
      codesPerSecond: Math.round(codes / seconds),
      encodePerSecond: Math.round(codes / encodeSeconds),
      refillsDuringRun: after.blocks.queue + after.blocks.direct - (warm.blocks.queue + warm.blocks.direct),
      warmupSource: warm.blocks.queue > 0 ? 'queue' : 'direct',
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
    redis.disconnect();
    await pool.query('DELETE FROM id_allocator WHERE name = $1', [config.ID_ALLOCATOR_KEY]).catch(() => undefined);
    await pool.end();
  }
}

async function main(): Promise<void> {
  const codes = process.argv[2] ? Number(process.argv[2]) : undefined;
  const r = await runKeygenBench({ codes });
  console.log(`command: ${r.command}`);
  console.log(`machine: ${r.machine.cpuModel} x ${r.machine.cpus} cpus, node ${r.machine.node}`);
  console.log(
    `keygen: ${r.codesPerSecond.toLocaleString('en-US')} codes/s (${r.codes.toLocaleString('en-US')} codes in ` +
      `${r.seconds.toFixed(3)} s, warm pool from ${r.warmupSource}, refills during run: ${r.refillsDuringRun})`,
  );
  console.log(`codec alone: ${r.encodePerSecond.toLocaleString('en-US')} encodes/s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('keygen bench failed:', err);
    process.exit(1);
  });
}
