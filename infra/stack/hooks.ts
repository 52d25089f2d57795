/**
 * Post-start hooks: schema setup owned by the db/ folder, imported lazily so that `status` and `down`
 * never load drizzle or the ClickHouse client.
 */
import { loadConfig, type Config } from '../config';
import { StackFailure, type Reporter, elapsed } from './report';
import type { ServiceName } from './services';

interface Hook {
  /** Only run when this service was part of the `up`. */
  service: ServiceName;
  label: string;
  run: (config: Config) => Promise<void>;
}

const HOOKS: Hook[] = [
  {
    service: 'postgres',
    label: 'postgres migrations',
    run: async (config) => {
      const { runMigrations } = require('../../db/migrate') as typeof import('../../db/migrate');
      await runMigrations(config);
    },
  },
  {
    service: 'clickhouse',
    label: 'clickhouse migrations',
    run: async (config) => {
      const { runClickhouseMigrations } = require('../../db/clickhouse/schema') as typeof import('../../db/clickhouse/schema');
      await runClickhouseMigrations(config);
    },
  },
];

export async function runPostStartHooks(started: readonly ServiceName[], out: Reporter): Promise<void> {
  const config = loadConfig();
  for (const hook of HOOKS) {
    if (!started.includes(hook.service)) continue;
    const t0 = Date.now();
    try {
      await hook.run(config);
    } catch (err) {
      throw new StackFailure(hook.service, `${hook.label} failed`, err);
    }
    out.progress(`✔ ${hook.label} (${elapsed(t0)})`);
  }
}
