/** PostgreSQL schema (drizzle). Migrations in db/migrations are generated from this file by drizzle-kit. */
import { bigint, bigserial, index, integer, pgTable, text, timestamp, varchar } from 'drizzle-orm/pg-core';

/** Links; the seed called the table `urls` and existing dashboards query it by that name. */
export const urls = pgTable('urls', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  shortCode: varchar('short_code', { length: 32 }).notNull().unique('urls_short_code_key'),
  originalUrl: text('original_url').notNull(),
  clicks: bigint('clicks', { mode: 'number' }).notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
},
// The cache warmer reads the most-clicked links every interval.
(t) => [index('urls_clicks_idx').on(t.clicks.desc())],
);

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
