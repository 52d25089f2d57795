/** Link repository: every query on `urls` the API makes; each function takes the drizzle handle first. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { urls, type Link } from './schema';

// Prepared once per drizzle handle: building the SQL on every call cost more CPU than the query itself.
const prepared = new WeakMap<Db, ReturnType<typeof prepare>>();

function prepare(db: Db) {
  return {
    find: db
      .select()
      .from(urls)
      .where(eq(urls.shortCode, sql.placeholder('code')))
      .limit(1)
      .prepare('linkhop_find_link_by_code'),
    insert: db
      .insert(urls)
      .values({ shortCode: sql.placeholder('code'), originalUrl: sql.placeholder('url') })
      .onConflictDoNothing({ target: urls.shortCode })
      .returning()
      .prepare('linkhop_insert_link'),
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

/** The link stored under `code`, or null. */
export async function findLinkByCode(db: Db, code: string): Promise<Link | null> {
  const rows = await statements(db).find.execute({ code });
  return rows[0] ?? null;
}

/**
 * Inserts a link unless its code exists (ON CONFLICT DO NOTHING): the returned row, or null when the code
 * was taken. A unique-violation race between two creators therefore never surfaces as an error.
 */
export async function insertLink(db: Db, code: string, originalUrl: string): Promise<Link | null> {
  const rows = await statements(db).insert.execute({ code, url: originalUrl });
  return rows[0] ?? null;
}

/** Number of links (tests compare it before and after requests that must not write). */
export async function countLinks(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<string>`count(*)` }).from(urls);
  return Number(rows[0]?.n ?? 0);
}
