/** Link repository: every query on `urls` the API makes; each function takes the drizzle handle first. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../infra/clients';
import { urls, type Link } from './schema';

/** The link stored under `code`, or null. */
export async function findLinkByCode(db: Db, code: string): Promise<Link | null> {
  const rows = await db.select().from(urls).where(eq(urls.shortCode, code)).limit(1);
  return rows[0] ?? null;
}

/**
 * Inserts a link unless its code exists (ON CONFLICT DO NOTHING): the returned row, or null when the code
 * was taken. A unique-violation race between two creators therefore never surfaces as an error.
 */
export async function insertLink(db: Db, code: string, originalUrl: string): Promise<Link | null> {
  const rows = await db
    .insert(urls)
    .values({ shortCode: code, originalUrl })
    .onConflictDoNothing({ target: urls.shortCode })
    .returning();
  return rows[0] ?? null;
}

/** Number of links (tests compare it before and after requests that must not write). */
export async function countLinks(db: Db): Promise<number> {
  const rows = await db.select({ n: sql<string>`count(*)` }).from(urls);
  return Number(rows[0]?.n ?? 0);
}
