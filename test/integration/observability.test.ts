/**
 * Monitoring checked against real processes: promtool accepts the alert rules and both Prometheus configs,
 * every metric the dashboard and the rules query is one the processes really expose, and Prometheus (the
 * local stack's binary) fires the consumer alert when the click consumer stops.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROCESSES, type ProcessName } from '../../infra/processes';
import { prometheusArgs } from '../../infra/stack/services/prometheus';
import { waitUntil } from '../../infra/wait';
import { ALERT_RULES_FILE, prometheusConfig } from '../../observability/prometheus-local';
import { createPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env';
import { ServiceProcess, freePort } from '../helpers/processes';

const ROOT = path.join(__dirname, '..', '..');
const DASHBOARDS = path.join(ROOT, 'observability', 'grafana', 'dashboards');
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan']);

/** Metric names a PromQL expression selects (not functions, labels, keywords or numbers). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(^|[^\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, '$1 ');
  return [...bare.matchAll(/([a-zA-Z_:][\w:]*)(\s*\()?/g)].filter((m) => !m[2] && !PROMQL_WORDS.has(m[1].toLowerCase())).map((m) => m[1]);
}

/** Every `expr` in a Grafana dashboard. */
function dashboardExprs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardExprs);
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => (k === 'expr' && typeof v === 'string' ? [v] : dashboardExprs(v)));
  }
  return [];
}

/** Series names a scrape exposes (a histogram as its _bucket, _sum and _count). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
    if (type === 'summary') ['_sum', '_count'].forEach((s) => names.add(name + s));
  }
  return names;
}

describe('Observability: rules, dashboard and alerts against real processes (integration)', function () {
  this.timeout(300_000);
  let env: PipelineEnv;
  const procs = new Map<ProcessName, ServiceProcess>();
  const metricsPorts = new Map<ProcessName, number>();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linkhop-prom-'));

  before(async () => {
    env = await createPipelineEnv();
    for (const def of PROCESSES) {
      const port = await freePort();
      metricsPorts.set(def.name, port);
      const extra: Record<string, string> = { METRICS_PORT: String(port) };
      if (def.name === 'api') {
        const apiPort = await freePort();
        Object.assign(extra, { PORT: String(apiPort), BASE_URL: `http://127.0.0.1:${apiPort}` });
      }
      procs.set(def.name, new ServiceProcess(def.name, def.name, { ...env.env, ...extra }));
    }
    // One at a time: cold TypeScript starts in parallel take longer on two cores than in a row.
    for (const p of procs.values()) await p.start();
  });
  after(async () => {
    await Promise.all([...procs.values()].map((p) => p.kill('SIGTERM')));
    await env?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('promtool accepts the alert rules, the compose Prometheus config and the local one', () => {
    const promtool = (...args: string[]) => execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(promtool('check', 'rules', ALERT_RULES_FILE), /SUCCESS: \d+ rules found/);
    // The compose file names the rules at their path in the container.
    const compose = fs.readFileSync(path.join(ROOT, 'observability', 'prometheus.yml'), 'utf8');
    assert.ok(compose.includes('/etc/prometheus/alerts.yml'));
    const composeCopy = path.join(tmp, 'compose-prometheus.yml');
    fs.writeFileSync(composeCopy, compose.replace('/etc/prometheus/alerts.yml', ALERT_RULES_FILE));
    promtool('check', 'config', composeCopy);
    const local = path.join(tmp, 'local-prometheus.yml');
    fs.writeFileSync(local, prometheusConfig({ targets: { api: ['127.0.0.1:1'] } }));
    promtool('check', 'config', local);
  });

  it('every metric the dashboards and the alert rules query is exposed by a real process', async () => {
    const exposed = new Set<string>(['up']);
    for (const [name, port] of metricsPorts) {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200, name);
      exposedNames(await res.text()).forEach((n) => exposed.add(n));
    }
    const queries: Array<[string, string]> = [];
    for (const file of fs.readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
      for (const expr of dashboardExprs(JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8')))) queries.push([file, expr]);
    }
    for (const m of fs.readFileSync(ALERT_RULES_FILE, 'utf8').matchAll(/expr: (?:\|\n((?:\s{10,}.*\n)+)|(.*))/g)) queries.push(['alerts.yml', m[1] ?? m[2]]);
    assert.ok(queries.length > 20, `${queries.length} queries found`);
    const unknown = queries.flatMap(([file, expr]) => metricNames(expr).filter((n) => !exposed.has(n)).map((n) => `${file}: ${n} in ${expr.trim()}`));
    assert.deepEqual(unknown, [], 'queried metrics no process exposes');
  });

  it('Prometheus fires the consumer alert when the click consumer stops', async () => {
    // The same rule expressions; only `for:` is shortened so the test need not wait minutes.
    const rules = fs.readFileSync(ALERT_RULES_FILE, 'utf8');
    const fastRules = rules.replace(/^(\s+for: )\S+$/gm, '$10s');
    assert.notEqual(fastRules, rules);
    fs.writeFileSync(path.join(tmp, 'alerts.yml'), fastRules);
    const targets = Object.fromEntries([...metricsPorts].map(([name, port]) => [name, [`127.0.0.1:${port}`]]));
    const config = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(config, prometheusConfig({ targets, ruleFiles: [path.join(tmp, 'alerts.yml')], scrapeInterval: '1s', evaluationInterval: '1s' }));
    const port = await freePort();
    let output = '';
    const prom = spawn('/usr/bin/prometheus', prometheusArgs(config, tmp, port), { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    prom.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise((resolve) => prom.once('exit', resolve));
    const api = `http://127.0.0.1:${port}/api/v1`;
    const alertState = async (name: string): Promise<string> => {
      const res = await fetch(`${api}/alerts`).catch(() => undefined);
      if (!res?.ok) return 'unreachable';
      const body = (await res.json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: string }> } };
      return body.data.alerts.find((a) => a.labels.alertname === name)?.state ?? 'inactive';
    };
    const consumerUp = async (): Promise<boolean> => {
      const res = await fetch(`${api}/query?query=${encodeURIComponent('up{job="linkhop-click-consumer"}')}`).catch(() => undefined);
      if (!res?.ok) return false;
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0]?.value[1] === '1';
    };
    try {
      await waitUntil(async () => (await consumerUp()) && (await alertState('LinkhopClickConsumersDown')) === 'inactive', {
        timeoutMs: 60_000,
        describe: async () => `consumer alert ${await alertState('LinkhopClickConsumersDown')}:\n${output}`,
      });
      await procs.get('click-consumer')?.kill('SIGTERM');
      await waitUntil(async () => (await alertState('LinkhopClickConsumersDown')) === 'firing', {
        timeoutMs: 60_000,
        describe: async () => `consumer alert ${await alertState('LinkhopClickConsumersDown')}:\n${output}`,
      });
      assert.equal(await alertState('LinkhopTargetDown'), 'firing');
    } finally {
      prom.kill('SIGTERM');
      await exited;
    }
  });
});
