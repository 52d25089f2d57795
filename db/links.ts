/**
 * Link repository: every query on `urls` the API makes; each function takes the drizzle handle (or the pool)
 * first. A deleted link keeps its row (deleted_at set) as a tombstone: its code stays unique, so it is never
 * handed out again, and every read here leaves it out.
 */
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Pool } from 'pg';
import type { Db } from './client';
import { urls, type Link } from './schema';

/** The columns a create may set besides the code and URL. */
export interface LinkFields {
  expiresAt?: Date | null;
  maxVisits?: number | null;
  passwordHash?: string | null;
  tags?: string[];
  title?: string | null;
  forwardQuery?: boolean;
  ownerKeyId?: number | null;
}

/** A link to insert. */
export interface NewLink extends LinkFields {
  shortCode: string;
  originalUrl: string;
}

/** Whose links a request may see: one key's, or every link (admin keys and open mode). */
export type OwnerScope = { kind: 'all' } | { kind: 'key'; keyId: number | null };

// Prepared once per drizzle handle: building the SQL on every call cost more CPU than the query itself.
const prepared = new WeakMap<Db, ReturnType<typeof prepare>>();

function prepare(db: Db) {
  return {
    findMany: db
      .select()
      .from(urls)
      .where(and(sql`${urls.shortCode} = ANY(${sql.placeholder('codes')}::text[])`, isNull(urls.deletedAt)))
      .prepare('linkhop_find_links_by_codes'),
  };
}

function statements(db: Db): ReturnType<typeof prepare> {
  let s = prepared.get(db);
  if (!s) {
    s = prepare(db);
    prepared.set(db, s);
  }
  return s;
}

const scopeSql = (scope: OwnerScope): SQL | undefined =>
  scope.kind === 'all'
    ? undefined
    : scope.keyId === null
      ? isNull(urls.ownerKeyId)
      : eq(urls.ownerKeyId, scope.keyId);

/** The live (not deleted) link stored under `code`, or null. */
export async function findLinkByCode(db: Db, code: string): Promise<Link | null> {
  const rows = await findLinksByCodes(db, [code]);
  return rows[0] ?? null;
}

/** The live links stored under `codes`, in no particular order; a code without one has no row. */
export async function findLinksByCodes(db: Db, codes: readonly string[]): Promise<Link[]> {
  if (codes.length === 0) return [];
  return statements(db).findMany.execute({ codes: [...codes] });
}

/** The codes of every live link `scope` may see (analytics rank a key's own links among themselves). */
export async function liveCodes(db: Db, scope: OwnerScope): Promise<string[]> {
  const rows = await db
    .select({ code: urls.shortCode })
    .from(urls)
    .where(and(isNull(urls.deletedAt), scopeSql(scope)));
  return rows.map((r) => r.code);
}

/** The live link under `code` when `scope` may see it, else null (another key's link looks missing). */
export async function findScopedLink(db: Db, code: string, scope: OwnerScope): Promise<Link | null> {
  const rows = await db
    .select()
    .from(urls)
    .where(and(eq(urls.shortCode, code), isNull(urls.deletedAt), scopeSql(scope)))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Inserts a link unless its code exists, live or deleted (ON CONFLICT DO NOTHING): the returned row, or null
 * when the code was taken. A unique-violation race between two creators therefore never surfaces as an error.
 */
export async function insertLink(db: Db, code: string, originalUrl: string, fields: LinkFields = {}): Promise<Link | null> {
  const rows = await insertLinks(db, [{ shortCode: code, originalUrl, ...fields }]);
  return rows[0] ?? null;
}

// One statement text for any number of rows: the batch travels as one jsonb parameter, so PostgreSQL parses
// and plans it once per connection (a named statement) and the API builds no SQL per create. Building a
// multi-row INSERT with drizzle cost more API CPU per row than the row's share of the round trip.
const INSERT_LINKS = `INSERT INTO urls (short_code, original_url, expires_at, max_visits, password_hash, tags, title, forward_query, owner_key_id)
SELECT l.short_code, l.original_url, l.expires_at, l.max_visits, l.password_hash, COALESCE(l.tags, '{}'::text[]), l.title,
       COALESCE(l.forward_query, true), l.owner_key_id
FROM jsonb_to_recordset($1::jsonb) AS l(short_code text, original_url text, expires_at timestamptz, max_visits integer,
     password_hash text, tags text[], title text, forward_query boolean, owner_key_id bigint)
ON CONFLICT (short_code) DO NOTHING
RETURNING id, short_code, created_at`;

/**
 * Inserts many links in one statement (one commit); returns the rows inserted, in no particular order. A code
 * that exists already, live or deleted, is skipped; so is a second occurrence of a code within `links`.
 * Only what PostgreSQL chooses comes back (id, creation time, which codes went in): every other column is
 * what was sent or its column default, and parsing fifteen columns of every row back cost the API more than
 * the rest of the batch's database work.
 */
export async function insertLinks(db: Db, links: readonly NewLink[]): Promise<Link[]> {
  if (links.length === 0) return [];
  const batch = links.map((l) => ({
    short_code: l.shortCode,
    original_url: l.originalUrl,
    expires_at: l.expiresAt ?? null,
    max_visits: l.maxVisits ?? null,
    password_hash: l.passwordHash ?? null,
    tags: l.tags ?? null,
    title: l.title ?? null,
    forward_query: l.forwardQuery ?? null,
    owner_key_id: l.ownerKeyId ?? null,
  }));
  const { rows } = await db.$client.query<{ id: string; short_code: string; created_at: Date }>({
    name: 'linkhop_insert_links',
    text: INSERT_LINKS,
    values: [JSON.stringify(batch)],
  });
  // The first occurrence of a code is the one inserted (the later ones conflict with it).
  const sent = new Map<string, NewLink>();
  for (const l of links) if (!sent.has(l.shortCode)) sent.set(l.shortCode, l);
  return rows.map((r) => insertedLink(sent.get(r.short_code)!, r));
}

/** The stored row of an inserted link: the columns sent, the defaults of the others, and what PostgreSQL chose. */
function insertedLink(l: NewLink, r: { id: string; short_code: string; created_at: Date }): Link {
  return {
    id: Number(r.id),
    shortCode: r.short_code,
    originalUrl: l.originalUrl,
    clicks: 0,
    createdAt: r.created_at,
    // Both columns default to now(), the statement's transaction time.
    updatedAt: new Date(r.created_at.getTime()),
    expiresAt: l.expiresAt ?? null,
    maxVisits: l.maxVisits ?? null,
    visits: 0,
    passwordHash: l.passwordHash ?? null,
    tags: l.tags ?? [],
    title: l.title ?? null,
    forwardQuery: l.forwardQuery ?? true,
    ownerKeyId: l.ownerKeyId ?? null,
    deletedAt: null,
  };
}

/** The columns an edit may change (`null` clears); `url` cannot be cleared. */
export type LinkChanges = Omit<LinkFields, 'ownerKeyId'> & { originalUrl?: string };

/** Applies `changes` to a live link `scope` may see; the updated row or null. */
export async function updateLink(db: Db, code: string, scope: OwnerScope, changes: LinkChanges): Promise<Link | null> {
  const set: Partial<typeof urls.$inferInsert> = { updatedAt: new Date() };
  if (changes.originalUrl !== undefined) set.originalUrl = changes.originalUrl;
  if (changes.expiresAt !== undefined) set.expiresAt = changes.expiresAt;
  if (changes.maxVisits !== undefined) set.maxVisits = changes.maxVisits;
  if (changes.passwordHash !== undefined) set.passwordHash = changes.passwordHash;
  if (changes.tags !== undefined) set.tags = changes.tags ?? [];
  if (changes.title !== undefined) set.title = changes.title;
  if (changes.forwardQuery !== undefined) set.forwardQuery = changes.forwardQuery ?? true;
  const rows = await db
    .update(urls)
    .set(set)
    .where(and(eq(urls.shortCode, code), isNull(urls.deletedAt), scopeSql(scope)))
    .returning();
  return rows[0] ?? null;
}

/** Marks a live link `scope` may see as deleted; false when there was none. */
export async function deleteLink(db: Db, code: string, scope: OwnerScope): Promise<boolean> {
  const rows = await db
    .update(urls)
    .set({ deletedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(urls.shortCode, code), isNull(urls.deletedAt), scopeSql(scope)))
    .returning({ id: urls.id });
  return rows.length > 0;
}

/** Outcome of one counted visit of a link with max_visits. */
export type VisitOutcome = 'counted' | 'exhausted' | 'expired' | 'missing';

// One statement: the UPDATE takes the row lock, so concurrent visits on any replica are serialised by
// PostgreSQL and exactly max_visits of them succeed. The outer SELECT says why one did not.
const CONSUME_VISIT = `WITH hit AS (
  UPDATE urls SET visits = visits + 1
  WHERE short_code = $1 AND deleted_at IS NULL AND max_visits IS NOT NULL AND visits < max_visits
    AND (expires_at IS NULL OR expires_at > now())
  RETURNING 1)
SELECT EXISTS (SELECT 1 FROM hit) AS counted,
  (SELECT CASE WHEN deleted_at IS NOT NULL THEN 'missing'
               WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired'
               ELSE 'exhausted' END FROM urls WHERE short_code = $1) AS reason`;

/** Counts one visit of a limited link unless it used its visits, expired or was deleted. */
export async function consumeVisit(pool: Pool, code: string): Promise<VisitOutcome> {
  const { rows } = await pool.query<{ counted: boolean; reason: string | null }>({
    name: 'linkhop_consume_visit',
    text: CONSUME_VISIT,
    values: [code],
  });
  const row = rows[0];
  if (row?.counted) return 'counted';
  return (row?.reason ?? 'missing') as VisitOutcome;
}

/** Whether a limited link has visits left (HEAD answers with it without using one). */
export async function hasVisitsLeft(pool: Pool, code: string): Promise<boolean> {
  const { rows } = await pool.query<{ ok: boolean }>(
    'SELECT visits < max_visits AS ok FROM urls WHERE short_code = $1 AND deleted_at IS NULL',
    [code],
  );
  return rows[0]?.ok ?? false;
}

/** Number of links, deleted ones included (tests compare it before and after requests that must not write). */
export async function countLinks(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<string>`count(*)` }).from(urls);
  return Number(rows[0]?.n ?? 0);
}
