/**
 * Synthetic clicks for the analytics benchmark (bench/analytics.ts), generated inside ClickHouse: one
 * INSERT ... SELECT over numbers() per chunk, every column a deterministic hash of the row number, so the
 * materialized views fill the rollups exactly as they do for the consumer's inserts. Runs on 18.16.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKS_TABLE, quote } from './clicks';

const list = (values: readonly string[]) => `[${values.map(quote).join(', ')}]`;
const pick = (values: readonly string[], seed: number, n = 'n') => `arrayElement(${list(values)}, 1 + cityHash64(${n}, ${seed}) % ${values.length})`;

const REFERRERS = ['', '', '', 'google.com', 'google.com', 't.co', 'facebook.com', 'news.ycombinator.com', 'reddit.com', 'linkedin.com',
  'bing.com', 'duckduckgo.com', 'github.com', 'youtube.com', 'instagram.com', 'slack.com'];
const COUNTRIES = ['US', 'US', 'US', 'GB', 'DE', 'FR', 'IN', 'BR', 'JP', 'CA', 'AU', 'NL', 'ES', 'IT', 'SE', 'PL', ''];
const BROWSERS = ['Chrome', 'Chrome', 'Chrome', 'Safari', 'Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Opera', ''];
const OSES = ['Windows', 'Windows', 'macOS', 'iOS', 'iOS', 'Android', 'Android', 'Linux', ''];
const DEVICES = ['desktop', 'desktop', 'mobile', 'mobile', 'mobile', 'tablet', ''];

/** The code of synthetic link `i` (0 is the busiest). */
export const benchCode = (i: number) => `bench${i}`;

/**
 * Inserts clicks `first` .. `first + count - 1` of a data set of `links` links over the `days` days before
 * `end` (Unix seconds). Link i gets a share falling like (i / links)^(-2/3): link 0 has about 5% of the clicks.
 * 8% of the clicks are bots; visitors are drawn from 5,000 per link.
 */
export async function insertSyntheticClicks(
  ch: ClickHouseClient,
  q: { first: number; count: number; links: number; days: number; end: number },
): Promise<void> {
  const link = `toUInt32(pow((cityHash64(n, 1) % 1000000) / 1000000, 3) * ${Math.trunc(q.links)})`;
  const host = pick(REFERRERS, 3);
  await ch.command({
    query: `INSERT INTO ${CLICKS_TABLE}
      (click_id, short_code, event_time, referrer, user_agent, visitor_hash, is_bot, referrer_host, country, browser, os, device)
      SELECT concat('c', toString(n)), concat('bench', toString(${link})),
        toDateTime(${Math.trunc(q.end)} - cityHash64(n, 2) % ${Math.trunc(q.days) * 86_400}),
        if(host = '', '', concat('https://', host, '/')), 'Mozilla/5.0 (synthetic)',
        hex(cityHash64(${link}, cityHash64(n, 4) % 5000)), toUInt8(cityHash64(n, 5) % 100 < 8),
        ${host} AS host, ${pick(COUNTRIES, 6)}, ${pick(BROWSERS, 7)}, ${pick(OSES, 8)}, ${pick(DEVICES, 9)}
      FROM (SELECT number + ${Math.trunc(q.first)} AS n FROM numbers(${Math.trunc(q.count)}))`,
  });
}
