/** Config for tests: the local stack, the `<db>_test` database, and any overrides a test needs. */
import { parseConfig, type Config } from '../../infra/config';

function parse(env: NodeJS.ProcessEnv): Config {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(`invalid test config: ${result.problems.join('; ')}`);
  return result.config;
}

/** TEST_DATABASE_URL, or the configured database URL with `_test` appended to the database name. */
export function testDatabaseUrl(): string {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  const url = new URL(parse({ ...process.env, NODE_ENV: 'test' }).DATABASE_URL);
  url.pathname = `/${url.pathname.replace(/^\//, '')}_test`;
  return url.toString();
}

/** A frozen config for tests; throws (instead of exiting) on invalid overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return parse({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: testDatabaseUrl(),
    ...overrides,
  });
}

/** A short unique suffix for per-test isolation (queue names, topics, key prefixes). */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The environment that isolates a test deployment on the shared stack: every per-deployment name derives
 * from DEPLOYMENT_PREFIX (infra/deployment.ts). Only the click topic is shared: a topic per test would
 * leave thousands of 6-partition topics on the broker, and a test's consumer groups start at the topic's
 * end and count into its own keys and database, so other tests' clicks on it never reach its counts.
 */
export function isolatedEnv(prefix: string): Record<string, string> {
  return { DEPLOYMENT_PREFIX: prefix, KAFKA_CLICK_TOPIC: 'click_events' };
}
