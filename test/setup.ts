/** Mocha root hooks: the test database is migrated once before any suite runs. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runMigrations } from '../db/migrate';
import { testConfig } from './helpers/test-config';

// The Temporal SDK logs every worker state change at INFO; tests only need warnings.
Runtime.install({ logger: new DefaultLogger('WARN') });

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await runMigrations(testConfig());
  },
};
