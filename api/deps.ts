/** What the API needs from the outside world; server.ts builds it, tests build it against the real stack. */
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../infra/config';
import type { Db } from '../infra/clients';
import type { HealthReport } from '../infra/health';
import type { Logger } from '../observability/logger';
import type { LinkResolver } from './link-resolver';

/** Hands out generated short codes (issue: keygen). */
export interface CodeSource {
  /** The next unused generated code; never returns the same code twice across processes. */
  nextCode(): Promise<string>;
}

/** One click as the redirect path sees it; the sink records it after the response is sent. */
export interface ClickInput {
  shortCode: string;
  at: Date;
  referrer: string;
  userAgent: string;
  ip: string;
}

/** Where clicks go, and how many of a link's clicks are not yet in PostgreSQL's counter. */
export interface ClickSink {
  /** Records a click without waiting on any I/O (batched behind the scenes). */
  record(click: ClickInput): void;
  /** Clicks of `code` recorded but not yet flushed into urls.clicks. */
  pending(code: string): Promise<number>;
  /** Sends what is buffered in memory (used at shutdown and by tests). */
  flush(): Promise<void>;
  /**
   * urls.clicks plus every click not yet flushed, read consistently (one PostgreSQL read); null when the link
   * does not exist. Stats use it when present: adding pending() to a separately read counter can double count.
   */
  totalClicks?(code: string): Promise<number | null>;
}

export interface AppDeps {
  config: Config;
  log: Logger;
  pool: Pool;
  db: Db;
  redisCache: Redis;
  redisQueue: Redis;
  keygen: CodeSource;
  /** The keygen refill queue, shown in Bull Board at /admin/queues. */
  keygenQueue: Queue;
  clicks: ClickSink;
  /** Short code to URL: LRU, then Redis, then PostgreSQL (api/link-resolver.ts). */
  resolver: LinkResolver;
  /** Probes every dependency (cached briefly). */
  health: () => Promise<HealthReport>;
  /** False once shutdown has begun, so load balancers stop sending traffic before the drain. */
  isAccepting: () => boolean;
}

/** Per-request state set by the request-context middleware. */
export interface AppState {
  requestId: string;
  log: Logger;
  /** The matched route's name, for metrics labels with bounded cardinality. */
  route?: string;
}
