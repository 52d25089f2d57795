/**
 * Group-committed creates: the creates that reach this process in one event-loop turn become one multi-row
 * INSERT ... ON CONFLICT DO NOTHING RETURNING (one round trip, one commit) and one Redis pipeline that caches
 * every new link. PostgreSQL's commit rate, not the API's CPU, bounded creates when each was its own commit.
 *
 * Each create still gets its own answer: the row, or null when its code is taken (already in the table, live
 * or deleted, or claimed by an earlier create of the same batch). A failed batch fails each of its creates
 * with a 503 and has written nothing, since it was one statement.
 */
import { insertLinks, type NewLink } from '../db/links';
import type { Link } from '../db/schema';
import type { Db } from '../db/client';
import type { Config } from '../infra/config';
import { createGroupCommit } from '../infra/group-commit';
import type { Logger } from '../observability/logger';
import { unavailable } from './errors';
import type { LinkResolver } from './link-resolver';

/** One create: the link to insert, and whether its code was chosen by the client (it may have been probed). */
export interface CreateRequest {
  link: NewLink;
  custom: boolean;
}

export interface LinkWriter {
  /** Inserts the link with the next batch: its row, or null when its code is taken; a 503 HttpError on failure. */
  insert(request: CreateRequest): Promise<Link | null>;
}

export interface LinkWriterDeps {
  config: Config;
  log: Logger;
  db: Db;
  resolver: LinkResolver;
}

// A few batches at once keep both PostgreSQL cores busy; beyond that, creates waiting for a free batch
// slot join a larger next batch instead of queueing as small statements in the connection pool.
const MAX_BATCHES_IN_FLIGHT = 4;

/**
 * The creates of one batch, at most once per code: the first create of a code is inserted, a later one of the
 * same batch is answered "taken" without reaching PostgreSQL (two rows with one code in one statement would
 * both map to the single row RETURNING gives back).
 */
export function firstPerCode(requests: readonly CreateRequest[]): { unique: CreateRequest[]; duplicate: boolean[] } {
  const seen = new Set<string>();
  const unique: CreateRequest[] = [];
  const duplicate = requests.map((r) => {
    if (seen.has(r.link.shortCode)) return true;
    seen.add(r.link.shortCode);
    unique.push(r);
    return false;
  });
  return { unique, duplicate };
}

/** Builds the writer over the API's database handle and link resolver. */
export function createLinkWriter(deps: LinkWriterDeps): LinkWriter {
  const { log, db, resolver } = deps;
  const batches = createGroupCommit<CreateRequest, Link | null>({
    maxBatch: deps.config.CREATE_BATCH_MAX_LINKS,
    maxInFlight: MAX_BATCHES_IN_FLIGHT,
    async commit(requests) {
      const { unique, duplicate } = firstPerCode(requests);
      let rows: Link[];
      try {
        rows = await insertLinks(db, unique.map((r) => r.link));
      } catch (err) {
        // Logged once per batch, not once per waiting create.
        log.error({ err, creates: requests.length }, 'insert links failed');
        throw unavailable('Database unavailable');
      }
      const byCode = new Map(rows.map((row) => [row.shortCode, row]));
      const generated: Link[] = [];
      const custom: Link[] = [];
      for (const r of unique) {
        const row = byCode.get(r.link.shortCode);
        if (row) (r.custom ? custom : generated).push(row);
      }
      // Before answering: a redirect on any replica right after the 201 must find the link in Redis.
      await resolver.rememberNew(generated, custom);
      return requests.map((r, i) => (duplicate[i] ? null : (byCode.get(r.link.shortCode) ?? null)));
    },
  });
  return { insert: (request) => batches.submit(request) };
}
