/**
 * The component benches other issues provide: bench/keygen.ts (`runKeygenBench`), bench/pipeline.ts
 * (`runPipelineBench`) and bench/analytics.ts (`runAnalyticsBench`, only when `--only` names it). A missing file is reported as "not available"; a present one must run, and any error
 * it throws marks the bench broken.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** What every component bench is given. */
export interface ComponentBenchOptions {
  quick: boolean;
  /** Seconds to measure for (already short in quick mode). */
  durationS: number;
  /** Where the bench's data lives (its own database, Redis db, queue prefix, topics); no log level or mode. */
  env: Record<string, string>;
}

const COMPONENTS: Record<string, { file: string; fn: string }> = {
  keygen: { file: 'keygen.ts', fn: 'runKeygenBench' },
  pipeline: { file: 'pipeline.ts', fn: 'runPipelineBench' },
  analytics: { file: 'analytics.ts', fn: 'runAnalyticsBench' },
};

/** Runs the named component benches; their results (or "not available") keyed by name. */
export async function runComponents(names: string[], opts: ComponentBenchOptions, failures: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const { file, fn } = COMPONENTS[name];
    const full = path.join(__dirname, file);
    if (!existsSync(full)) {
      out[name] = 'not available';
      continue;
    }
    process.stderr.write(`bench: ${name} ...\n`);
    try {
      const mod = (await import(full)) as Record<string, unknown>;
      const run = mod[fn];
      if (typeof run !== 'function') throw new Error(`bench/${file} does not export ${fn}()`);
      out[name] = await (run as (o: ComponentBenchOptions) => Promise<unknown>)(opts);
    } catch (err) {
      out[name] = { error: (err as Error).message };
      failures.push(`${name}: ${(err as Error).stack ?? String(err)}`);
    }
  }
  return out;
}
