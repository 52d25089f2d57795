/**
 * Query parameters of the analytics routes: one zod schema each (the OpenAPI document is built from them) and
 * the range rules: defaults to the last 7 days, `from` strictly before `to`, at most 400 days, hourly buckets
 * up to 2 days and daily beyond unless `interval` says otherwise, `tz` an IANA zone name.
 */
import { z } from 'zod';

export const MAX_RANGE_DAYS = 400;
const DAY_MS = 86_400_000;
export const DEFAULT_RANGE_MS = 7 * DAY_MS;
const HOURLY_UP_TO_MS = 2 * DAY_MS;

// Area/Location names (and UTC, GMT, EST5EDT...): Intl alone also accepts forms ClickHouse does not.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/** The canonical IANA name of `tz` (Intl), or null when it is not a time zone. */
export function canonicalTimeZone(tz: string): string | null {
  if (tz.length > 64 || !ZONE_NAME.test(tz)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const instant = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .describe('RFC 3339 date-time (Z or an offset), or a date meaning 00:00 UTC of that day');
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const AnalyticsQuerySchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  interval: z.enum(['hour', 'day']).optional().describe('default: hour for ranges up to 2 days, else day'),
  include_bots: bool.optional().describe('count bots in clicks, series and top values (default false)'),
  tz: z.string().max(64).optional().describe('IANA time zone of the buckets (default UTC)'),
});

export const TopLinksQuerySchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional().describe('default 10'),
  include_bots: bool.optional(),
});

export const ClicksCsvQuerySchema = z.object({ from: instant.optional(), to: instant.optional() });

export interface ResolvedRange {
  from: Date;
  to: Date;
}

/** Applies the defaults and range rules; returns a client-facing reason when the range is not acceptable. */
export function resolveRange(from: string | undefined, to: string | undefined, now: Date): ResolvedRange | string {
  const toDate = to ? new Date(to) : from ? new Date(Math.min(now.getTime(), new Date(from).getTime() + DEFAULT_RANGE_MS)) : now;
  const fromDate = from ? new Date(from) : new Date(toDate.getTime() - DEFAULT_RANGE_MS);
  if (Number.isNaN(fromDate.getTime()) || Number.isNaN(toDate.getTime())) return 'from and to must be valid times';
  if (fromDate.getTime() >= toDate.getTime()) return 'from must be before to';
  if (toDate.getTime() - fromDate.getTime() > MAX_RANGE_DAYS * DAY_MS) return `The range may span at most ${MAX_RANGE_DAYS} days`;
  return { from: fromDate, to: toDate };
}

/** The interval a range gets when the request names none. */
export function defaultInterval(range: ResolvedRange): 'hour' | 'day' {
  return range.to.getTime() - range.from.getTime() <= HOURLY_UP_TO_MS ? 'hour' : 'day';
}

/** First message of a zod error, as one line a client can read. */
export function queryError(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'query'}: ${issue.message}` : 'Invalid query';
}

/**
 * RFC 3339 text of an instant in the zone, from the wall-clock time there (`YYYY-MM-DD hh:mm:ss`, as
 * ClickHouse's toString(t, tz) gives it): 2026-03-01T00:00:00+05:30.
 */
export function zonedTime(t: number, local: string): string {
  const offsetMin = Math.round((Date.parse(`${local.replace(' ', 'T')}Z`) - t * 1000) / 60_000);
  if (offsetMin === 0) return `${local.replace(' ', 'T')}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local.replace(' ', 'T')}${sign}${hh}:${mm}`;
}

const ValueCountSchema = z
  .object({
    value: z.string().meta({ description: '"(direct)" (referrers) or "(unknown)" when absent; "other" sums the rest' }),
    clicks: z.number().int(),
  })
  .meta({ id: 'ValueCount' });
const counts = z.array(ValueCountSchema);

export const LinkAnalyticsSchema = z
  .object({
    short_code: z.string(),
    from: z.string().meta({ format: 'date-time', description: 'start of the first bucket, with the zone offset' }),
    to: z.string().meta({ format: 'date-time', description: 'end of the last bucket' }),
    interval: z.enum(['hour', 'day']),
    tz: z.string(),
    include_bots: z.boolean(),
    totals: z.object({
      clicks: z.number().int().meta({ description: 'clicks the filter keeps: people only unless include_bots' }),
      unique_visitors: z.number().int().meta({ description: 'distinct visitor hashes among them (approximate: uniq)' }),
      bots: z.number().int().meta({ description: "the bots' clicks in the range, always" }),
    }),
    series: z.array(z.object({ t: z.string().meta({ format: 'date-time' }), clicks: z.number().int(), unique_visitors: z.number().int() })),
    referrers: counts,
    countries: counts,
    browsers: counts,
    os: counts,
    devices: counts,
  })
  .meta({ id: 'LinkAnalytics' });

export const TopLinksSchema = z
  .object({
    from: z.string().meta({ format: 'date-time' }),
    to: z.string().meta({ format: 'date-time' }),
    include_bots: z.boolean(),
    links: z.array(z.object({ short_code: z.string(), clicks: z.number().int(), bots: z.number().int() })),
  })
  .meta({ id: 'TopLinks' });
