/** What the API needs from the outside world; server.ts builds it, tests build it against the real stack. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../infra/config';
import type { Db } from '../db/client';
import type { HealthReport } from '../infra/health';
import type { Logger } from '../observability/logger';
import type { ClickSink } from '../queues/click-sink';
import type { CodeSource } from '../queues/keygen/keygen';
import type { AuthMode, Authenticator, Principal } from './auth';
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
  /** Analytics reads (db/clickhouse/analytics.ts). */
  clickhouse: ClickHouseClient;
  /** Short code to URL: LRU, then Redis, then PostgreSQL (api/link-resolver.ts). */
  resolver: LinkResolver;
  /** Resolves API keys and the open/closed mode (api/auth.ts). */
  auth: Authenticator;
  /** Probes every dependency (cached briefly). */
  health: () => Promise<HealthReport>;
  /** The metrics text of /metrics on the public port: this process's, or every API process's under API_WORKERS. */
  metricsText: () => Promise<string>;
  /** False once shutdown has begun, so load balancers stop sending traffic before the drain. */
  isAccepting: () => boolean;
}

/** Per-request state set by the request-context middleware. */
export interface AppState {
  requestId: string;
  log: Logger;
  /** The matched route's name, for metrics labels with bounded cardinality. */
  route?: string;
  /** Who is calling (api/middleware/auth.ts); undefined for an anonymous request when the service is not open. */
  principal?: Principal;
  authMode?: AuthMode;
  /** True when credentials were presented but matched nothing (a 401 says "Invalid API key"). */
  credentialsRejected?: boolean;
  /** True when PostgreSQL could not tell whether keys exist (routes needing a principal answer 503). */
  authUnavailable?: boolean;
}
