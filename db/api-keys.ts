/**
 * API keys in PostgreSQL. A key is 32 random bytes shown once at creation; only its SHA-256 is stored. A fast
 * hash is enough here (unlike link passwords): a 256-bit random key cannot be guessed from its hash, and the
 * lookup runs on every authenticated request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './client';
import { apiKeys, type ApiKeyRow } from './schema';

export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const KEY_PREFIX = 'lh_';

/** The stored form of a key. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Creates a key; the plain key is in the result and nowhere else. */
export async function createApiKey(db: Db, name: string, role: Role): Promise<{ key: string; row: ApiKeyRow }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ name, role, keyHash: hashApiKey(key), prefix: key.slice(0, KEY_PREFIX.length + 6) })
    .returning();
  return { key, row };
}

/** Every key, revoked ones included, oldest first. */
export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.id));
}

/** Revokes key `id`; false when it does not exist or was already revoked. */
export async function revokeApiKey(db: Db, id: number): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

/** The active (not revoked) key presented as `key`, or null. */
export async function findActiveApiKey(db: Db, key: string): Promise<ApiKeyRow | null> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
}

/** True when at least one key is active: the service then requires keys (it runs open otherwise). */
export async function hasActiveApiKeys(db: Db): Promise<boolean> {
  const rows = await db.select({ one: sql<number>`1` }).from(apiKeys).where(isNull(apiKeys.revokedAt)).limit(1);
  return rows.length > 0;
}
