/**
 * The link list query, shared by the JSON list (one page) and the CSV export (a PostgreSQL cursor over the
 * whole selection): keyset pagination on (id) or (clicks, id), newest or most clicked first, so a page costs
 * the same wherever it is and the export streams in constant memory.
 */
import type { Pool } from 'pg';
import QueryStream from 'pg-query-stream';
import type { Link } from './schema';
import type { OwnerScope } from './links';

export type ListSort = 'created' | 'clicks';

/** Where the previous page ended: the last row's sort key. */
export interface ListPosition {
  id: number;
  clicks?: number;
}

export interface ListFilter {
  scope: OwnerScope;
  sort: ListSort;
  tag?: string;
  q?: string;
  after?: ListPosition;
}

/** A row of `urls` as node-postgres returns it (snake_case, bigint as string: ids and counters may pass 2^53 in theory only). */
export interface UrlRow {
  id: string;
  short_code: string;
  original_url: string;
  clicks: string;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
  max_visits: number | null;
  visits: string;
  password_hash: string | null;
  tags: string[];
  title: string | null;
  forward_query: boolean;
  owner_key_id: string | null;
  deleted_at: Date | null;
}

/** Maps a raw row to the drizzle Link shape. */
export function rowToLink(r: UrlRow): Link {
  return {
    id: Number(r.id),
    shortCode: r.short_code,
    originalUrl: r.original_url,
    clicks: Number(r.clicks),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
    maxVisits: r.max_visits,
    visits: Number(r.visits),
    passwordHash: r.password_hash,
    tags: r.tags,
    title: r.title,
    forwardQuery: r.forward_query,
    ownerKeyId: r.owner_key_id === null ? null : Number(r.owner_key_id),
    deletedAt: r.deleted_at,
  };
}

/** LIKE pattern matching `q` literally anywhere. */
const containsPattern = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The SQL and parameters of the selection; `limit` undefined means all of it. */
export function listQuery(filter: ListFilter, limit?: number): { text: string; values: unknown[] } {
  const where = ['deleted_at IS NULL'];
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (filter.scope.kind === 'key') {
    where.push(filter.scope.keyId === null ? 'owner_key_id IS NULL' : `owner_key_id = ${param(filter.scope.keyId)}`);
  }
  if (filter.tag) where.push(`tags @> ARRAY[${param(filter.tag)}]::text[]`);
  if (filter.q) {
    const p = param(containsPattern(filter.q));
    where.push(`(original_url ILIKE ${p} OR title ILIKE ${p})`);
  }
  let order: string;
  if (filter.sort === 'clicks') {
    order = 'clicks DESC, id DESC';
    if (filter.after) where.push(`(clicks, id) < (${param(filter.after.clicks ?? 0)}, ${param(filter.after.id)})`);
  } else {
    order = 'id DESC';
    if (filter.after) where.push(`id < ${param(filter.after.id)}`);
  }
  const text = `SELECT * FROM urls WHERE ${where.join(' AND ')} ORDER BY ${order}${limit ? ` LIMIT ${param(limit)}` : ''}`;
  return { text, values };
}

/** One page of the selection. */
export async function listLinks(pool: Pool, filter: ListFilter, limit: number): Promise<Link[]> {
  const { text, values } = listQuery(filter, limit);
  const { rows } = await pool.query<UrlRow>(text, values);
  return rows.map(rowToLink);
}

/**
 * Streams the whole selection through a server-side cursor, `batchSize` rows at a time, calling `onRow` for
 * each (awaiting it, so a slow client holds the cursor instead of growing memory). Holds one pooled client.
 */
export async function streamLinks(
  pool: Pool,
  filter: ListFilter,
  onRow: (link: Link) => Promise<void> | void,
  batchSize = 500,
): Promise<void> {
  const { text, values } = listQuery(filter);
  const client = await pool.connect();
  let failed: unknown;
  try {
    const stream = client.query(new QueryStream(text, values, { batchSize }));
    for await (const row of stream as AsyncIterable<UrlRow>) await onRow(rowToLink(row));
  } catch (err) {
    failed = err;
    throw err;
  } finally {
    // A client whose cursor broke mid-stream may hold a half-read result: do not hand it to the next user.
    client.release(failed instanceof Error ? failed : undefined);
  }
}
