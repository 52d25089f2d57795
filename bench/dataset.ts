/**
 * The bench's data: its own PostgreSQL database (created on first use, emptied at every run), links created
 * through the API (so they sit in the API's LRU and in Redis exactly as after real creates), and links written
 * straight into PostgreSQL so that nothing caches them (the cold path).
 */
import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { Client } from 'pg';
import { createKafka, createRedis } from '../infra/clients';
import { createPg } from '../db/client';
import type { Config } from '../infra/config';
import { urls } from '../db/schema';
import { clickKeys, deploymentNames, kafkaNames } from '../queues/names';
import { ensureTopics } from '../queues/topics';

/** Creates the bench database next to the configured one when it does not exist yet. */
export async function ensureDatabase(config: Config, benchUrl: string): Promise<void> {
  const name = new URL(benchUrl).pathname.slice(1);
  const client = new Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // Two benches creating it at once: the loser's error is fine.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
}

/**
 * Creates the bench's click topic (the broker does not auto-create; without it every click would take the
 * Redis fallback and the bench would measure a degraded path), keeps it short-lived so repeated runs do not
 * fill the disk, and drops any fallback stream an earlier run left behind on the queue Redis.
 */
export async function prepareClickTransport(benchConfig: Config): Promise<void> {
  const kafka = createKafka(benchConfig, 'linkhop-bench-setup');
  await ensureTopics(kafka, benchConfig);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const short = [
      { name: 'retention.ms', value: String(15 * 60_000) },
      { name: 'segment.bytes', value: String(64 * 2 ** 20) },
    ];
    const { clickTopic, deadLetterTopic } = kafkaNames(benchConfig);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [clickTopic, deadLetterTopic].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configEntries: short })),
    });
  } finally {
    await admin.disconnect();
  }
  const redis = createRedis(benchConfig, 'queue');
  try {
    await redis.del(clickKeys(deploymentNames(benchConfig).clickKeyPrefix).fallback);
  } finally {
    redis.disconnect();
  }
}

const BENCH_LOCK_ID = 7_215_099;

/**
 * Holds a PostgreSQL advisory lock for a whole bench run: two runs at once would empty each other's tables
 * and share the cores, so the second waits (up to `waitMs`). Returns the release function.
 */
export async function lockBench(config: Config, waitMs = 15 * 60_000): Promise<() => Promise<void>> {
  const client = new Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5000, application_name: 'linkhop-bench-lock' });
  await client.connect();
  const deadline = Date.now() + waitMs;
  let told = false;
  try {
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [BENCH_LOCK_ID]);
      if (rows[0]?.ok) break;
      if (Date.now() > deadline) throw new Error(`another bench run held the lock for ${waitMs / 1000} s`);
      if (!told) process.stderr.write('bench: another bench run is in progress; waiting for it to finish\n');
      told = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  } catch (err) {
    await client.end();
    throw err;
  }
  return async () => {
    await client.query('SELECT pg_advisory_unlock($1)', [BENCH_LOCK_ID]).catch(() => undefined);
    await client.end();
  };
}

const urlBefore = (tag: string) => `https://www.example.com/articles/2024/${tag}-`;
const urlAfter = (tag: string) => `?utm_source=linkhop&utm_medium=bench&utm_campaign=${tag}`;

/** A URL of a realistic length (the seed's clients shorten article links with tracking parameters). */
export const benchUrl = (tag: string, i: number): string => `${urlBefore(tag)}${i}${urlAfter(tag)}`;

/** The text before and after the number of a bench URL of `tag` (wrk's Lua script fills the number in). */
export const benchUrlParts = (tag: string): { before: string; after: string } => ({ before: urlBefore(tag), after: urlAfter(tag) });

/** A short, run-unique tag: codes and URLs of one run never collide with those of an earlier one. */
export const runTag = (): string => randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(0, 6);

/** Empties `urls` in the bench database (a fixed table size makes runs comparable). */
export async function resetLinks(config: Config, benchDbUrl: string): Promise<void> {
  const { pool } = createPg(config, undefined, { url: benchDbUrl, max: 1 });
  try {
    await pool.query('TRUNCATE urls');
  } finally {
    await pool.end();
  }
}

/** Creates `count` links through POST /api/shorten (`concurrency` at a time); returns code -> URL. */
export async function createLinks(apiUrl: string, tag: string, count: number, concurrency = 16): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const url = benchUrl(tag, next++);
      const res = await fetch(`${apiUrl}/api/shorten`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST /api/shorten answered ${res.status}: ${text}`);
      const body = JSON.parse(text) as { short_code: string; original_url: string };
      links.set(body.short_code, body.original_url);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return links;
}

/** Inserts `count` links straight into PostgreSQL (nothing caches them); returns their codes. */
export async function insertColdLinks(config: Config, benchDbUrl: string, tag: string, count: number): Promise<string[]> {
  const { pool, db } = createPg(config, undefined, { url: benchDbUrl, max: 1 });
  const codes: string[] = [];
  try {
    for (let from = 0; from < count; from += 1000) {
      const rows = [];
      for (let i = from; i < Math.min(count, from + 1000); i++) {
        // 'P' + tag + index: 12 characters, never a generated (7-character) code.
        const code = `P${tag}${i.toString(36).padStart(5, '0')}`;
        codes.push(code);
        rows.push({ shortCode: code, originalUrl: benchUrl(`cold-${tag}`, i) });
      }
      await db.insert(urls).values(rows);
    }
  } finally {
    await pool.end();
  }
  return codes;
}
