/** The link bodies the API answers with, and the one wrapper that turns a database failure into a 503. */
import type { Link } from '../../db/schema';
import type { AppDeps } from '../deps';
import { unavailable } from '../errors';

/** The link body of the seed's API (201 of a seed-only create, 200 of stats). */
export interface LinkBody {
  id: number;
  short_code: string;
  original_url: string;
  short_url: string;
  clicks: number;
  created_at: string;
  updated_at: string;
}

/** The full link body of the management API (the password itself never leaves the server). */
export interface FullLinkBody extends LinkBody {
  expires_at: string | null;
  max_visits: number | null;
  visits: number;
  has_password: boolean;
  tags: string[];
  title: string | null;
  forward_query: boolean;
}

/** Serialises a link row; `clicks` is passed in because stats add the clicks not yet flushed. */
export function toLinkBody(row: Link, baseUrl: string, clicks: number): LinkBody {
  return {
    id: row.id,
    short_code: row.shortCode,
    original_url: row.originalUrl,
    short_url: `${baseUrl}/${row.shortCode}`,
    clicks,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The full body; `clicks` defaults to the flushed counter (lists), routes for one link pass the exact one. */
export function toFullLinkBody(row: Link, baseUrl: string, clicks = row.clicks): FullLinkBody {
  return {
    ...toLinkBody(row, baseUrl, clicks),
    expires_at: row.expiresAt ? row.expiresAt.toISOString() : null,
    max_visits: row.maxVisits,
    visits: row.visits,
    has_password: row.passwordHash !== null,
    tags: row.tags,
    title: row.title,
    forward_query: row.forwardQuery,
  };
}

/** Runs a PostgreSQL call, turning any failure into a 503 (a database error is never a 4xx). */
export async function db<T>(deps: AppDeps, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    deps.log.error({ err }, `${what} failed`);
    throw unavailable('Database unavailable');
  }
}

/** The host (host:port, default ports left out) a URL or Host header names, lower-cased, no trailing dot. */
function hostOf(value: string): string | null {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).host.toLowerCase().replace(/\.(?=:|$)/, '');
  } catch {
    return null;
  }
}

/** hostOf with a memory of its last answer: BASE_URL and the request's Host are the same on nearly every create. */
function lastHostOf(): (value: string) => string | null {
  let input: string | undefined;
  let host: string | null = null;
  // One entry, so a client that varies its Host header grows nothing.
  return (value) => {
    if (value !== input) {
      input = value;
      host = hostOf(value);
    }
    return host;
  };
}
const baseHostOf = lastHostOf();
const requestHostOf = lastHostOf();

/** True when `url` points at this service (BASE_URL's host or the Host the request came to): a redirect loop. */
export function isSelfLink(url: string, baseUrl: string, requestHost: string): boolean {
  const target = hostOf(url);
  if (target === null) return false;
  return target === baseHostOf(baseUrl) || (requestHost !== '' && target === requestHostOf(requestHost));
}
