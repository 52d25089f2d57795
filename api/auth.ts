/**
 * Who is calling: resolves a presented secret (API key, admin token, metrics token, admin basic credentials)
 * into a principal, and tells whether the service runs open. Key lookups and the open/closed mode are cached
 * for AUTH_CACHE_MS, so a revoked key stops working within that time on every replica.
 */
import { LRUCache } from 'lru-cache';
import { findActiveApiKey, hasActiveApiKeys, type Role } from '../db/api-keys';
import type { Db } from '../db/client';
import type { Config } from '../infra/config';
import type { Logger } from '../observability/logger';
import { secretEquals } from './secrets';

export const AUTH_CACHE_MS = 2000;

/** `metrics` may only read /metrics (METRICS_TOKEN); the other roles are those of API keys. */
export type PrincipalRole = Role | 'metrics';

export interface Principal {
  /** The api_keys row, or null for configured secrets (API_KEYS, ADMIN_TOKEN) and open mode. */
  keyId: number | null;
  name: string;
  role: PrincipalRole;
  /** True only in open mode, where a request without credentials acts as admin of the link API. */
  anonymous: boolean;
}

/**
 * `open`: no key defined and API_KEYS unset, everyone may do everything (as the seed did).
 * `env-keys`: only API_KEYS is set: creating and managing links needs one of them; stats stay public.
 * `keys`: keys exist in PostgreSQL: every link route needs a key, and non-admin keys see only their links.
 */
export type AuthMode = 'open' | 'env-keys' | 'keys';

export const OPEN_PRINCIPAL: Principal = Object.freeze({ keyId: null, name: 'anonymous', role: 'admin', anonymous: true });
const ADMIN_PRINCIPAL: Principal = Object.freeze({ keyId: null, name: 'admin', role: 'admin', anonymous: false });
const METRICS_PRINCIPAL: Principal = Object.freeze({ keyId: null, name: 'metrics', role: 'metrics', anonymous: false });

export interface Authenticator {
  /** The current mode; on a database error, the last one known, or undefined when none is. */
  mode(): Promise<AuthMode | undefined>;
  /** The principal of a bearer token or API key, or null when it is not a valid one. */
  byKey(secret: string): Promise<Principal | null>;
  /** The admin principal when `user`/`password` are the configured admin credentials. */
  byBasic(user: string, password: string): Principal | null;
}

export function createAuthenticator(deps: { config: Config; db: Db; log: Logger }): Authenticator {
  const { config, db, log } = deps;
  // Keyed by the secret itself (memory only, never logged); bounded so random keys cannot grow it.
  const envPrincipals: Principal[] = config.API_KEYS.map((_, i) =>
    Object.freeze({ keyId: null, name: `API_KEYS#${i + 1}`, role: 'admin' as const, anonymous: false }),
  );
  const keyCache = new LRUCache<string, Principal | 'none'>({ max: 10_000, ttl: AUTH_CACHE_MS });
  let known: { mode: AuthMode; at: number } | undefined;
  let refreshing: Promise<AuthMode | undefined> | undefined;

  const refresh = async (): Promise<AuthMode | undefined> => {
    try {
      const dbKeys = await hasActiveApiKeys(db);
      const mode: AuthMode = dbKeys ? 'keys' : config.API_KEYS.length ? 'env-keys' : 'open';
      known = { mode, at: Date.now() };
      return mode;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'auth: could not read API keys; keeping the last known mode');
      return known?.mode;
    } finally {
      refreshing = undefined;
    }
  };

  return {
    mode() {
      if (known && Date.now() - known.at < AUTH_CACHE_MS) return Promise.resolve(known.mode);
      refreshing ??= refresh();
      return refreshing;
    },
    async byKey(secret) {
      if (config.ADMIN_TOKEN && secretEquals(secret, config.ADMIN_TOKEN)) return ADMIN_PRINCIPAL;
      if (config.METRICS_TOKEN && secretEquals(secret, config.METRICS_TOKEN)) return METRICS_PRINCIPAL;
      // Compare with every configured key so timing does not reveal which one (or whether any) nearly matched.
      let envMatch = -1;
      config.API_KEYS.forEach((key, i) => {
        if (secretEquals(secret, key)) envMatch = i;
      });
      // Each configured key is its own principal, so rate limits keep telling them apart.
      if (envMatch >= 0) return envPrincipals[envMatch];
      if (secret.length > 256) return null;
      const cached = keyCache.get(secret);
      if (cached !== undefined) return cached === 'none' ? null : cached;
      const row = await findActiveApiKey(db, secret);
      const principal: Principal | null = row
        ? { keyId: row.id, name: row.name, role: row.role as Role, anonymous: false }
        : null;
      keyCache.set(secret, principal ?? 'none');
      return principal;
    },
    byBasic(user, password) {
      if (!config.adminPassword) return null;
      // Both parts compared even when the first differs, so timing does not reveal which one was wrong.
      const userOk = secretEquals(user, config.ADMIN_USER);
      const passOk = secretEquals(password, config.adminPassword);
      return userOk && passOk ? ADMIN_PRINCIPAL : null;
    },
  };
}
