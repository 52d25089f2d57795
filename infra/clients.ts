/**
 * Client factories: every connection to an outside service is made here, from the typed config,
 * with an `error` listener so a dropped connection is logged instead of crashing the process.
 */
import { createClient as createClickHouseClient, type ClickHouseClient } from '@clickhouse/client';
import { Client as GrpcClient, credentials } from '@grpc/grpc-js';
import { Connection, Client as TemporalClient } from '@temporalio/client';
import Redis, { type RedisOptions } from 'ioredis';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import type { Config } from './config';
import { guardKafkajsIdleTimer } from './kafkajs-idle-timer';

/** A pg pool (db/client.ts puts the drizzle handle over it). */
export function createPool(config: Config, log?: Logger, opts: { max?: number; url?: string } = {}): Pool {
  const pool = new Pool({
    connectionString: opts.url ?? config.DATABASE_URL,
    max: opts.max ?? config.DATABASE_POOL_SIZE,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    application_name: 'linkhop',
  });
  pool.on('error', (err) => log?.warn({ err }, 'postgres idle client error'));
  return pool;
}

/** Which Redis: `cache` (links, click buffers; may evict) or `queue` (BullMQ; never evicts). */
export type RedisRole = 'cache' | 'queue';

/** An ioredis client that fails fast instead of queueing commands forever while Redis is down. */
export function createRedis(config: Config, role: RedisRole, log?: Logger, extra: RedisOptions = {}): Redis {
  const url = role === 'cache' ? config.REDIS_URL : config.QUEUE_REDIS_URL;
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: role === 'queue',
    maxRetriesPerRequest: role === 'queue' ? null : 1,
    commandTimeout: role === 'cache' ? config.REDIS_COMMAND_TIMEOUT_MS : undefined,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: `linkhop-${role}`,
    ...extra,
  });
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    // Reconnect attempts raise an error each; log at most one every 5 s.
    if (Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      log?.warn({ err: err.message, role }, 'redis error');
    }
  });
  return client;
}

/**
 * kafkajs lines about conditions it retries by itself and that a normal start or rebalance passes through
 * (the offsets topic still being created, a coordinator moving): debug, not an operator's error. Real
 * outages still show, as the consumer's and producer's own failures.
 */
const ROUTINE_KAFKA =
  /group coordinator is not available|coordinator is loading|not the correct coordinator|no leader for this topic-partition|leadership election|rebalanc|Restarting the consumer in/i;
/**
 * kafkajs warns when an idempotent producer has bounded retries; ours are bounded on purpose (a failed send
 * drops the producer id and the clicks are deduplicated downstream: queues/kafka-producer.ts).
 */
const DELIBERATE_KAFKA = /Limiting retries for the idempotent producer/i;

/** The kafkajs client; its logs go through pino at warn level and above, routine retries at debug. */
export function createKafka(config: Config, clientId: string, log?: Logger): Kafka {
  guardKafkajsIdleTimer();
  return new Kafka({
    clientId,
    brokers: config.KAFKA_BOOTSTRAP_SERVERS,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        if (!log) return;
        const { message, ...rest } = entry;
        const text = `${message} ${typeof rest.error === 'string' ? rest.error : ''}`;
        if (ROUTINE_KAFKA.test(text) || DELIBERATE_KAFKA.test(text)) log.debug(rest, `kafka: ${message}`);
        else if (level <= logLevel.ERROR) log.error(rest, `kafka: ${message}`);
        else log.warn(rest, `kafka: ${message}`);
      },
  });
}

/** The ClickHouse HTTP client, with settings the 18.x server in the local stack understands. */
export function createClickHouse(config: Config, database = config.CLICKHOUSE_DATABASE): ClickHouseClient {
  return createClickHouseClient({
    url: config.CLICKHOUSE_URL,
    database,
    request_timeout: 10_000,
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      date_time_input_format: 'best_effort',
    },
  });
}

/** A Temporal client connected to the configured frontend and namespace. */
export async function createTemporalClient(config: Config): Promise<{ connection: Connection; client: TemporalClient }> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 3000 });
  return { connection, client: new TemporalClient({ connection, namespace: config.TEMPORAL_NAMESPACE }) };
}

/** Temporal's frontend health, for processes that talk to Temporal only to report on it (the API). */
export interface TemporalHealth {
  /** Resolves when the frontend answers SERVING within `timeoutMs`. */
  check(timeoutMs: number): Promise<void>;
  close(): void;
}

const EMPTY = Buffer.alloc(0);
// grpc.health.v1.HealthCheckResponse with status SERVING: field 1, varint 1.
const SERVING = Buffer.from([0x08, 0x01]);

/**
 * The standard gRPC health check (grpc.health.v1.Health/Check, the one the SDK's healthService calls) over
 * grpc-js alone. The SDK's Connection would do, but it turns on an AsyncLocalStorage for its call context,
 * and on Node 20 that puts an async hook on every promise of the process: a cost every create and every
 * cache miss of the API would pay for a probe that runs twice a second at most.
 */
export function createTemporalHealth(config: Pick<Config, 'TEMPORAL_ADDRESS'>): TemporalHealth {
  const client = new GrpcClient(config.TEMPORAL_ADDRESS, credentials.createInsecure());
  return {
    check: (timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          () => EMPTY, // HealthCheckRequest{service: ""} encodes to nothing
          (bytes: Buffer) => bytes,
          {},
          { deadline: Date.now() + timeoutMs },
          (err, reply) => {
            if (err) reject(err);
            else if (reply?.equals(SERVING)) resolve();
            else reject(new Error(`temporal health: not serving (${reply?.toString('hex') ?? 'no reply'})`));
          },
        );
      }),
    close: () => client.close(),
  };
}

/**
 * Closes a Redis client at shutdown: a polite QUIT when connected, otherwise an immediate disconnect
 * (QUIT on a client that queues commands while Redis is down would wait for a Redis that is not coming).
 */
export async function closeRedis(client: Redis | undefined, timeoutMs = 2000): Promise<void> {
  if (!client) return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const timer = setTimeout(() => client.disconnect(), timeoutMs);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
