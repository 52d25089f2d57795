/**
 * The only reader of process.env. Parsed once with zod; every problem is printed and the process exits.
 * Variable names follow the system this project replaces so operators can switch without rewriting config.
 */
import { z } from 'zod';
import { SHORT_CODE_KEY_FILE, withLocalSecrets } from './local-secrets';

/**
 * Shifts every local-stack port (and the API's default port) so that two clones can run their stacks side by
 * side on one machine: `LINKHOP_PORT_OFFSET=100` puts PostgreSQL on 54429, the API on 8100, and so on.
 */
const PORT_OFFSET = z.coerce.number().int().min(0).max(1000).default(0).parse(process.env.LINKHOP_PORT_OFFSET);

/** Loopback ports of the local stack; away from the defaults so a system PostgreSQL or Redis can stay. */
export const LOCAL_PORTS = Object.freeze(
  Object.fromEntries(
    Object.entries({
      postgres: 54329,
      redisCache: 63791,
      redisQueue: 63792,
      kafka: 19092,
      kafkaController: 19093,
      clickhouseHttp: 18123,
      clickhouseTcp: 19000,
      temporal: 17233,
      temporalUi: 18233,
      prometheus: 19090,
      api: 8000,
      // Metrics ports of the processes under `npm start` (infra/processes.ts).
      apiMetrics: 9463,
      temporalWorkerMetrics: 9464,
      keygenWorkerMetrics: 9465,
      clickConsumerMetrics: 9466,
    }).map(([name, port]) => [name, port + PORT_OFFSET]),
  ),
) as Readonly<
  Record<
    | 'postgres' | 'redisCache' | 'redisQueue' | 'kafka' | 'kafkaController' | 'clickhouseHttp' | 'clickhouseTcp'
    | 'temporal' | 'temporalUi' | 'prometheus' | 'api' | 'apiMetrics' | 'temporalWorkerMetrics' | 'keygenWorkerMetrics' | 'clickConsumerMetrics',
    number
  >
>;

/**
 * Published in this file, so only tests may use it: anyone who knows the key can compute the next codes.
 * (Older releases used it as the development default; production still refuses it.)
 */
export const TEST_SHORT_CODE_KEY = 'linkhop-development-key-change-me';

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** A URL with one of `schemes` and a host, else a message saying what the setting should look like. */
const urlOf = (schemes: string[], example: string) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return schemes.includes(u.protocol) && u.hostname !== '';
    } catch {
      return false;
    }
  }, `must be a URL like ${example}`);
const list = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(LOCAL_PORTS.api),
  HOST: z.string().default('127.0.0.1'),
  // API processes answering on PORT (node:cluster): 1 = this process alone, 0 = one per CPU core.
  API_WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  BASE_URL: z.string().url().optional(),

  DATABASE_URL: urlOf(['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/linkhop').default(
    `postgres://postgres@127.0.0.1:${LOCAL_PORTS.postgres}/linkhop`,
  ),
  DATABASE_POOL_SIZE: int(20),
  /** Most links one group-committed INSERT of concurrent creates may carry (api/link-writer.ts). */
  CREATE_BATCH_MAX_LINKS: z.coerce.number().int().min(1).max(1000).default(200),
  REDIS_URL: urlOf(['redis:', 'rediss:'], 'redis://host:6379/0').default(`redis://127.0.0.1:${LOCAL_PORTS.redisCache}/0`),
  REDIS_REPLICA_URL: urlOf(['redis:', 'rediss:'], 'redis://host:6379/0').optional(),
  QUEUE_REDIS_URL: urlOf(['redis:', 'rediss:'], 'redis://host:6379/0').default(`redis://127.0.0.1:${LOCAL_PORTS.redisQueue}/0`),
  REDIS_COMMAND_TIMEOUT_MS: int(250),
  KAFKA_BOOTSTRAP_SERVERS: list.transform((v) => (v.length ? v : [`127.0.0.1:${LOCAL_PORTS.kafka}`])),
  /**
   * Derives every per-deployment name (topics, groups, key prefixes, queue prefix, task queue,
   * Schedule ids) in infra/deployment.ts, so one variable isolates a test or bench deployment on shared servers.
   */
  DEPLOYMENT_PREFIX: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,48}$/i, 'letters, digits, _ and -, up to 49').optional(),
  // The replaced system's names, kept as overrides of what DEPLOYMENT_PREFIX derives (queues/names.ts).
  KAFKA_CLICK_TOPIC: z.string().min(1).optional(),
  KAFKA_DEAD_LETTER_TOPIC: z.string().min(1).optional(),
  KAFKA_TOPIC_PARTITIONS: int(6),
  INGESTION_CONSUMER_GROUP: z.string().min(1).optional(),
  CLICKHOUSE_URL: urlOf(['http:', 'https:'], 'http://host:8123').default(`http://127.0.0.1:${LOCAL_PORTS.clickhouseHttp}`),
  CLICKHOUSE_DATABASE: z.string().default('linkhop'),
  TEMPORAL_ADDRESS: z.string().default(`127.0.0.1:${LOCAL_PORTS.temporal}`),
  TEMPORAL_NAMESPACE: z.string().default('linkhop'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).optional(),
  TEMPORAL_UI_URL: z.string().default(`http://127.0.0.1:${LOCAL_PORTS.temporalUi}`),

  SHORT_CODE_LENGTH: z.coerce.number().int().min(7).max(7).default(7),
  /** Unset: tests use TEST_SHORT_CODE_KEY; a local install generates its own (loadConfig); production must set it. */
  SHORT_CODE_KEY: z.string().min(16).optional(),
  ID_BLOCK_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  ID_ALLOCATOR_KEY: z.string().default('url'),
  KEYGEN_LOW_WATERMARK: z.coerce.number().min(0).max(1).default(0.5),
  /** Reserved ID blocks the keygen worker keeps in the queue Redis list that API processes pop from. */
  KEYGEN_RESERVE_BLOCKS: z.coerce.number().int().min(1).max(1000).default(16),
  /** How often the keygen worker's job scheduler tops the list up (low-watermark jobs come in between). */
  KEYGEN_REFILL_INTERVAL_SECONDS: z.coerce.number().positive().default(5),
  KEYGEN_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  CLICK_BUFFER_KEY_PREFIX: z.string().min(1).optional(),
  INGESTION_FLUSH_INTERVAL_SECONDS: z.coerce.number().positive().default(5),
  /** HMAC key of the anonymised visitor hash; defaults to SHORT_CODE_KEY. */
  VISITOR_HASH_KEY: z.string().min(16).optional(),
  /** How long a record id is remembered to drop duplicates; must outlast the longest Kafka outage. */
  INGESTION_DEDUP_TTL_SECONDS: int(86_400),
  /**
   * How long the API gathers clicks into one record per partition. 50 ms packs a few hundred clicks per
   * record at thousands of redirects a second: the broker and both consumer groups work per record, and at
   * 5 ms they took about twice the CPU of the redirects themselves on a small machine.
   */
  CLICK_PRODUCER_LINGER_MS: int(50),
  CLICK_PRODUCER_BATCH_SIZE: z.coerce.number().int().positive().default(2000),
  /** Clicks an API process holds in memory while both Kafka and the queue Redis are unreachable. */
  CLICK_PRODUCER_MAX_BUFFERED: z.coerce.number().int().positive().default(200_000),
  /** Batches the Redis fallback stream may hold while Kafka is down. */
  CLICK_FALLBACK_MAX_ENTRIES: z.coerce.number().int().positive().default(100_000),
  CACHE_WARMER_TOP_N: int(5000),
  CACHE_WARMER_INTERVAL_SECONDS: z.coerce.number().positive().default(30),
  CACHE_TTL_SECONDS: int(3600),
  LRU_MAX_ENTRIES: int(100_000),
  // A safety net only: every change of a link is pushed to each replica's LRU over pub/sub.
  LRU_TTL_MS: int(300_000),
  NEGATIVE_CACHE_TTL_MS: int(30_000),

  /** When set, the API also serves /metrics on its public port, to requests bearing this token. */
  METRICS_TOKEN: z.string().optional(),
  /** Every process serves /metrics on this port (0 = not at all), apart from the public API port. */
  METRICS_PORT: int(0),
  /** Where the metrics port listens; defaults to HOST. Keep it on a private network. */
  METRICS_HOST: z.string().optional(),
  ADMIN_USER: z.string().default('admin'),
  ADMIN_PASSWORD: z.string().optional(),
  ADMIN_TOKEN: z.string().optional(),
  API_KEYS: list,
  RATE_LIMIT_ENABLED: bool(true),
  RATE_LIMIT_CREATES_PER_MINUTE: int(60),
  /** The replaced system's switch: true means one proxy hop (TRUST_PROXY_HOPS=1). */
  TRUST_PROXY: bool(false),
  /** Proxies in front of the API that append to X-Forwarded-For; the client is the entry this far from the right. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).optional(),
  // Node's defaults (60 s for headers, 300 s for a request) let slow clients hold sockets for minutes.
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10_000),
});

/** Every variable this file reads (the README's configuration table must list each one). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(['LINKHOP_PORT_OFFSET', ...Object.keys(schema.shape)]);

export type Config = Readonly<
  Omit<z.infer<typeof schema>, 'BASE_URL' | 'SHORT_CODE_KEY' | 'TRUST_PROXY_HOPS'> & {
    BASE_URL: string;
    SHORT_CODE_KEY: string;
    TRUST_PROXY_HOPS: number;
    METRICS_HOST: string;
    adminPassword: string;
  }
>;

/** Parses an environment into a frozen config, or returns every problem found. */
export function parseConfig(env: NodeJS.ProcessEnv): { ok: true; config: Config } | { ok: false; problems: string[] } {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`),
    };
  }
  const c = parsed.data;
  const key = c.SHORT_CODE_KEY ?? (c.NODE_ENV === 'test' ? TEST_SHORT_CODE_KEY : undefined);
  if (key === undefined) {
    return { ok: false, problems: [`SHORT_CODE_KEY: not set; set a secret of at least 16 characters (npm start keeps a generated one in .cache/${SHORT_CODE_KEY_FILE})`] };
  }
  if (c.NODE_ENV === 'production' && key === TEST_SHORT_CODE_KEY) {
    // With the published key anyone could compute which codes come next.
    return { ok: false, problems: ['SHORT_CODE_KEY: the published development key is refused in production; set a secret of at least 16 characters'] };
  }
  const config = {
    ...c,
    SHORT_CODE_KEY: key,
    TRUST_PROXY_HOPS: c.TRUST_PROXY_HOPS ?? (c.TRUST_PROXY ? 1 : 0),
    METRICS_HOST: c.METRICS_HOST ?? c.HOST,
    BASE_URL: (c.BASE_URL ?? `http://${c.HOST === '0.0.0.0' ? '127.0.0.1' : c.HOST}:${c.PORT}`).replace(/\/+$/, ''),
    // Without a configured password the admin UI stays closed rather than open.
    adminPassword: c.ADMIN_PASSWORD ?? '',
  };
  return { ok: true, config: Object.freeze(config) };
}

let cached: Config | undefined;

/**
 * The process's config; prints every problem and exits non-zero when the environment is invalid. A local
 * (development) process without SHORT_CODE_KEY uses this clone's own generated key, so every process of an
 * install agrees on it and no two installs share one.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached && env === process.env) return cached;
  const result = parseConfig(withLocalSecrets(env));
  if (!result.ok) {
    process.stderr.write(`Invalid configuration:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(78);
  }
  if (env === process.env) cached = result.config;
  return result.config;
}
