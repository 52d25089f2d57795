/**
 * Mocha root hooks. Unit, replay and workflow tests need no service at all; only a run that loads an
 * integration or fault suite migrates the test database first (so `npx mocha test/integration/x.test.ts
 * --grep y` works alone, and `npm run test:unit` works with every service stopped).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runMigrations } from '../db/migrate';
import { testConfig } from './helpers/test-config';

// The Temporal SDK logs every worker state change at INFO; tests only need warnings.
Runtime.install({ logger: new DefaultLogger('WARN') });

const NEEDS_SERVICES = /[\\/]test[\\/](integration|faults)[\\/]/;

function loadsServiceSuites(suite: Mocha.Suite): boolean {
  return suite.suites.some((s) => (s.file !== undefined && NEEDS_SERVICES.test(s.file)) || loadsServiceSuites(s));
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    const root = this.test?.parent;
    if (!root || !loadsServiceSuites(root)) return;
    this.timeout(60_000);
    await runMigrations(testConfig());
  },
};
