/**
 * The Prometheus configuration of a local deployment: one job per process of the manifest (the same job
 * names as observability/prometheus.yml), and the same alert rules. Written as JSON, which is YAML too.
 */
import path from 'node:path';
import { PROCESSES, metricsPorts, type ProcessName } from '../infra/processes';

/** The alert rules every deployment loads. */
export const ALERT_RULES_FILE = path.join(__dirname, 'alerts.yml');

/** The Prometheus job of a process. */
export const jobName = (process: ProcessName): string => `linkhop-${process}`;

/** `host:port` targets of every process of `npm start`, from the manifest's metrics ports. */
export function localTargets(host = '127.0.0.1'): Record<ProcessName, string[]> {
  const ports = metricsPorts();
  return Object.fromEntries(PROCESSES.map((p) => [p.name, [`${host}:${ports[p.name]}`]])) as Record<ProcessName, string[]>;
}

export interface PrometheusConfigOptions {
  targets: Partial<Record<ProcessName, string[]>>;
  ruleFiles?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
}

/** The prometheus.yml text for `opts`. */
export function prometheusConfig(opts: PrometheusConfigOptions): string {
  const config = {
    global: { scrape_interval: opts.scrapeInterval ?? '10s', evaluation_interval: opts.evaluationInterval ?? '10s' },
    rule_files: opts.ruleFiles ?? [ALERT_RULES_FILE],
    scrape_configs: Object.entries(opts.targets).map(([name, targets]) => ({
      job_name: jobName(name as ProcessName),
      static_configs: [{ targets }],
    })),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
