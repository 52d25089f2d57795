/**
 * What a run measures, set up in order: the bench database and click topic, the workers production runs
 * (keygen, click consumer with both groups, Temporal worker with its Schedules), the API (and the LRU-less
 * API when a workload needs it), the data through the API and straight into PostgreSQL, and the ceiling
 * over the same links. stop() stops everything in reverse, the APIs before the workers they feed.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeSchedules } from '../activities/schedules';
import { dropClickhouseDatabase, runClickhouseMigrations } from '../db/clickhouse/schema';
import { parseConfig, type Config } from '../infra/config';
import { createLinks, ensureDatabase, insertColdLinks, prepareClickTransport, resetLinks, runTag } from './dataset';
import { benchEnvironment, startApi, startCeiling, startWorker, type BenchProcess } from './servers';
import type { BenchData, ServerName, Workload } from './types';

export interface Topology {
  servers: Record<ServerName, BenchProcess>;
  data: BenchData;
  /** Stops every process; returns what went wrong at shutdown. */
  stop(): Promise<string[]>;
  /** Copies the API's main-thread CPU profile to `target`; false when there is none. */
  keepProfile(target: string): boolean;
}

/** Starts the processes `workloads` need and creates their data (`quick`: small datasets). */
export async function startTopology(config: Config, workloads: Workload[], opts: { quick: boolean; profile: boolean; apiWorkers: number }): Promise<Topology> {
  const env = benchEnvironment(config);
  const procs: BenchProcess[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'linkhop-bench-'));
  const profileDir = path.join(tmp, 'profiles');
  let benchConfigForCleanup: Config | undefined;
  const stop = async () => {
    const problems: string[] = [];
    for (const p of [...procs].reverse()) {
      const code = await p.stop();
      if (code !== 0 && code !== null) problems.push(`${p.name} exited with ${code} at shutdown:\n${p.tail(10)}`);
    }
    // The Schedules would otherwise keep starting flushes for a worker that is gone.
    if (benchConfigForCleanup) await removeSchedules(benchConfigForCleanup).catch((err: Error) => problems.push(`schedules: ${err.message}`));
    return problems;
  };
  try {
    await ensureDatabase(config, env.DATABASE_URL);
    const parsed = parseConfig({ ...process.env, ...env });
    if (!parsed.ok) throw new Error(`bench environment is invalid: ${parsed.problems.join('; ')}`);
    await prepareClickTransport(parsed.config);
    // A fresh ClickHouse database every run, as `urls` is emptied: merging the parts of an earlier run's
    // million clicks kept ClickHouse busy (5-37% of a core) at moments no run could predict.
    const clickhouseDb = parsed.config.CLICKHOUSE_DATABASE;
    if (!clickhouseDb.endsWith('_bench')) throw new Error(`refusing to drop ClickHouse database ${clickhouseDb}: not the bench's`);
    await dropClickhouseDatabase(parsed.config, clickhouseDb);
    await runClickhouseMigrations(parsed.config);
    // Every process production runs: clicks of the measured redirects are counted (both consumer groups)
    // and flushed by the Temporal worker's Schedules, so a flush's effect on the hot path is measured too.
    benchConfigForCleanup = parsed.config;
    for (const worker of ['keygen-worker', 'click-consumer', 'temporal-worker'] as const) procs.push(await startWorker(worker, env));
    const workers = { API_WORKERS: String(opts.apiWorkers) };
    const api = await startApi('api', env, { env: workers, cpuProfileDir: opts.profile ? profileDir : undefined });
    procs.push(api);
    const needNoLru = workloads.some((w) => w.server === 'api-nolru');
    const noLru = needNoLru ? await startApi('api-nolru', env, { env: { ...workers, LRU_MAX_ENTRIES: '0' } }) : undefined;
    if (noLru) procs.push(noLru);

    await resetLinks(config, env.DATABASE_URL);
    const tag = runTag();
    const links = await createLinks(api.url, tag, opts.quick ? 200 : 2000);
    const coldWarmup = needNoLru ? (opts.quick ? 200 : 2000) : 0;
    const cold = needNoLru ? await insertColdLinks(config, env.DATABASE_URL, tag, coldWarmup + (opts.quick ? 1000 : 30_000)) : [];
    const data: BenchData = { tag, links, codes: [...links.keys()], coldWarmupCodes: cold.slice(0, coldWarmup), coldCodes: cold.slice(coldWarmup) };

    const linksFile = path.join(tmp, 'links.json');
    writeFileSync(linksFile, JSON.stringify(Object.fromEntries(links)));
    const ceiling = await startCeiling(linksFile);
    procs.push(ceiling);
    return {
      servers: { ceiling, api, 'api-nolru': noLru ?? api },
      data,
      stop: async () => {
        try {
          return await stop();
        } finally {
          if (!opts.profile) rmSync(tmp, { recursive: true, force: true });
        }
      },
      keepProfile: (target) => {
        // tsx's loader thread writes a profile too; the main thread's has thread id 0. Under API_WORKERS > 1
        // the primary and every worker write one: the largest (most samples) is a worker's.
        const mains = existsSync(profileDir) ? readdirSync(profileDir).filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f)) : [];
        const main = mains.sort((x, y) => statSync(path.join(profileDir, y)).size - statSync(path.join(profileDir, x)).size)[0];
        if (main) copyFileSync(path.join(profileDir, main), target);
        rmSync(tmp, { recursive: true, force: true });
        return main !== undefined;
      },
    };
  } catch (err) {
    await stop();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
