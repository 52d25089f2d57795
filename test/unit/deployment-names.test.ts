import assert from 'node:assert/strict';
import { parseConfig, type Config } from '../../infra/config';
import { deploymentNames, type DeploymentNames } from '../../infra/deployment';

function config(env: Record<string, string>): Config {
  const r = parseConfig({ NODE_ENV: 'test', ...env });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.config;
}

/** Every name as a flat list, so two deployments can be compared name by name. */
const flat = (n: DeploymentNames): string[] => [...Object.values(n).filter((v) => typeof v === 'string'), ...Object.values(n.scheduleIds)];

describe('deployment names', () => {
  it("are the replaced system's names without a prefix", () => {
    const n = deploymentNames(config({}));
    assert.equal(n.clickTopic, 'click_events');
    assert.equal(n.deadLetterTopic, 'click_events_dlq');
    assert.equal(n.group, 'click_ingestion_group');
    assert.equal(n.clickKeyPrefix, 'click_buffer');
    assert.equal(n.queuePrefix, 'bull');
    assert.equal(n.taskQueue, 'linkhop');
    assert.deepEqual(n.scheduleIds, { flushClicks: 'flush-clicks', warmCache: 'warm-cache' });
    assert.equal(n.rateLimitPrefix, 'ratelimit');
  });

  it('share nothing between two prefixes, or with the production names', () => {
    const prod = flat(deploymentNames(config({})));
    const a = flat(deploymentNames(config({ DEPLOYMENT_PREFIX: 'test_a' })));
    const b = flat(deploymentNames(config({ DEPLOYMENT_PREFIX: 'test_b' })));
    assert.equal(a.length, prod.length);
    for (const name of a) {
      assert.ok(!prod.includes(name), `${name} is also a production name`);
      assert.ok(!b.includes(name), `${name} is shared by two prefixes`);
    }
  });

  it("lets the replaced system's variables override what the prefix derives", () => {
    const n = deploymentNames(config({ DEPLOYMENT_PREFIX: 'x', KAFKA_CLICK_TOPIC: 'clicks', INGESTION_CONSUMER_GROUP: 'g' }));
    assert.equal(n.clickTopic, 'clicks');
    assert.equal(n.deadLetterTopic, 'clicks_dlq');
    assert.equal(n.group, 'g');
    assert.equal(n.analyticsGroup, 'g_analytics');
    assert.equal(n.queuePrefix, 'x-bull');
  });

  it('refuses a prefix that could not be part of every name', () => {
    assert.ok(parseConfig({ NODE_ENV: 'test', DEPLOYMENT_PREFIX: 'a-b_1' }).ok);
    assert.equal(parseConfig({ NODE_ENV: 'test', DEPLOYMENT_PREFIX: 'a b' }).ok, false);
    assert.equal(parseConfig({ NODE_ENV: 'test', DEPLOYMENT_PREFIX: 'a:b' }).ok, false);
  });
});
