/** PostgreSQL schema (drizzle). Migrations in db/migrations are generated from this file by drizzle-kit. */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, integer, pgTable, text, timestamp, varchar } from 'drizzle-orm/pg-core';

/** Links; the seed called the table `urls` and existing dashboards query it by that name. */
export const urls = pgTable('urls', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  shortCode: varchar('short_code', { length: 32 }).notNull().unique('urls_short_code_key'),
  originalUrl: text('original_url').notNull(),
  clicks: bigint('clicks', { mode: 'number' }).notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  /** With max_visits set, `visits` counts the redirects (307s) handed out, moved by one conditional UPDATE. */
  maxVisits: integer('max_visits'),
  visits: bigint('visits', { mode: 'number' }).notNull().default(0),
  /** scrypt$N$r$p$salt$hash (api/passwords.ts); never leaves the server. */
  passwordHash: text('password_hash'),
  tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
  title: text('title'),
  forwardQuery: boolean('forward_query').notNull().default(true),
  /** The API key that created the link; null for links made in open mode or with an API_KEYS key. */
  ownerKeyId: bigint('owner_key_id', { mode: 'number' }),
  /** A deleted link keeps its row as a tombstone, so its code is never handed out again. */
  deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
},
(t) => [
  // The cache warmer reads the most-clicked links every interval.
  index('urls_clicks_idx').on(t.clicks.desc()),
  // Listing: newest first within an owner; tag filters use the GIN index.
  index('urls_owner_id_idx').on(t.ownerKeyId, t.id.desc()),
  index('urls_tags_idx').using('gin', t.tags),
],
);

/** API keys: only a SHA-256 of each key is stored (keys are 256-bit random, so a slow hash adds nothing). */
export const apiKeys = pgTable('api_keys', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  keyHash: text('key_hash').notNull().unique('api_keys_key_hash_key'),
  /** The first characters of the key, so an operator can tell keys apart in `keys list`. */
  prefix: text('prefix').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
},
(t) => [check('api_keys_role_check', sql`${t.role} IN ('admin', 'editor', 'viewer')`)],
);
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * The durable high-water mark of short-code IDs: one row per allocator key, moved forward atomically.
 * Redis may lose or reset anything; this row is why ID blocks never overlap.
 */
export const idAllocator = pgTable('id_allocator', {
  name: text('name').primaryKey(),
  nextId: bigint('next_id', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** Every click flush applied to `urls.clicks`, by batch id, so a retried flush applies nothing twice. */
export const clickFlushBatches = pgTable('click_flush_batches', {
  batchId: text('batch_id').primaryKey(),
  links: integer('links').notNull(),
  clicks: bigint('clicks', { mode: 'number' }).notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type Link = typeof urls.$inferSelect;
