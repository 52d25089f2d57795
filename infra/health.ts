/**
 * Dependency checks shared by /health, /ready and the launcher's status: each probe is one cheap round trip
 * with its own timeout, so one hung service cannot hold the others' answers.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type Redis from 'ioredis';
import type { Admin } from 'kafkajs';
import type { Pool } from 'pg';
import type { TemporalHealth } from './clients';

export type DependencyName = 'postgres' | 'redis_cache' | 'redis_queue' | 'kafka' | 'clickhouse' | 'temporal';
export type HealthState = 'healthy' | 'unhealthy';
export type HealthReport = Record<DependencyName, HealthState>;

export interface HealthDeps {
  pool: Pool;
  redisCache: Redis;
  redisQueue: Redis;
  kafkaAdmin: Admin;
  clickhouse: ClickHouseClient;
  temporal: TemporalHealth;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Builds a checker whose answers are reused for `cacheMs`, so a probe storm costs one round of checks. */
export function createHealthChecker(deps: HealthDeps, timeoutMs = 1500, cacheMs = 500): () => Promise<HealthReport> {
  let kafkaConnected = false;
  const probes: Record<DependencyName, () => Promise<unknown>> = {
    postgres: () => deps.pool.query('SELECT 1'),
    redis_cache: () => deps.redisCache.ping(),
    redis_queue: () => deps.redisQueue.ping(),
    kafka: async () => {
      if (!kafkaConnected) {
        await deps.kafkaAdmin.connect();
        kafkaConnected = true;
      }
      try {
        await deps.kafkaAdmin.describeCluster();
      } catch (err) {
        // Reconnect on the next probe: kafkajs keeps a dead broker connection otherwise.
        kafkaConnected = false;
        await deps.kafkaAdmin.disconnect().catch(() => undefined);
        throw err;
      }
    },
    clickhouse: async () => {
      const r = await deps.clickhouse.ping();
      if (!r.success) throw r.error;
    },
    temporal: () => deps.temporal.check(timeoutMs),
  };
  let last: { at: number; report: Promise<HealthReport> } | undefined;

  const runAll = async (): Promise<HealthReport> => {
    const names = Object.keys(probes) as DependencyName[];
    const results = await Promise.allSettled(names.map((n) => withTimeout(probes[n](), timeoutMs)));
    return Object.fromEntries(
      names.map((n, i) => [n, results[i].status === 'fulfilled' ? 'healthy' : 'unhealthy']),
    ) as HealthReport;
  };

  return () => {
    const now = Date.now();
    if (!last || now - last.at > cacheMs) last = { at: now, report: runAll() };
    return last.report;
  };
}

/** True when every dependency in the report is healthy. */
export function allHealthy(report: HealthReport): boolean {
  return Object.values(report).every((s) => s === 'healthy');
}
