/** What the API needs from the outside world; server.ts builds it, tests build it against the real stack. */
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../infra/config';
import type { Db } from '../db/client';
import type { HealthReport } from '../infra/health';
import type { Logger } from '../observability/logger';
import type { ClickSink } from '../queues/click-sink';
import type { CodeSource } from '../queues/keygen/keygen';
import type { LinkResolver } from './link-resolver';

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
