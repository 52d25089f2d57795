/**
 * The one authentication middleware: reads `X-API-Key`, `Authorization: Bearer` or `Authorization: Basic`
 * once, resolves it into `ctx.state.principal` (key id, name, role) and `ctx.state.authMode`, and leaves the
 * decision to the routes (`requireRole`). Rate limits and ownership scopes key on the principal it sets.
 */
import type { Middleware } from 'koa';
import type { Role } from '../../db/api-keys';
import type { OwnerScope } from '../../db/links';
import { OPEN_PRINCIPAL, type AuthMode, type Authenticator, type Principal } from '../auth';
import type { AppState } from '../deps';
import { forbidden, unauthorized, unavailable } from '../errors';

type Credentials = { kind: 'key'; secret: string } | { kind: 'basic'; user: string; password: string } | { kind: 'malformed' };

/** What the request presents (X-API-Key wins over Authorization), or undefined when it presents nothing. */
export function readCredentials(get: (header: string) => string): Credentials | undefined {
  const apiKey = get('x-api-key').trim();
  if (apiKey) return { kind: 'key', secret: apiKey };
  const header = get('authorization').trim();
  if (!header) return undefined;
  const space = header.indexOf(' ');
  const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
  const value = space > 0 ? header.slice(space + 1).trim() : '';
  if (scheme === 'bearer' && value) return { kind: 'key', secret: value };
  if (scheme === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return { kind: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { kind: 'malformed' };
}

/** What authentication decides for a request: the AppState fields the auth middleware sets. */
export interface AuthState {
  authMode: AuthMode | undefined;
  authUnavailable: boolean;
  principal: Principal | undefined;
  credentialsRejected: boolean;
}

/**
 * Resolves the credentials a request presents (`get` reads a header, '' when absent); rejects with the
 * lookup's own error when PostgreSQL cannot check a key. Shared by the middleware and the create fast path.
 */
export async function resolveAuth(auth: Authenticator, get: (header: string) => string): Promise<AuthState> {
  const creds = readCredentials(get);
  const authMode = await auth.mode();
  let principal: Principal | null | undefined;
  if (!creds) {
    principal = authMode === 'open' ? OPEN_PRINCIPAL : undefined;
  } else if (creds.kind === 'key') {
    principal = await auth.byKey(creds.secret);
  } else if (creds.kind === 'basic') {
    principal = auth.byBasic(creds.user, creds.password);
  }
  return {
    authMode,
    // Unknown mode: PostgreSQL could not say whether keys exist. Routes that need a principal answer 503.
    authUnavailable: authMode === undefined,
    principal: principal ?? undefined,
    credentialsRejected: creds !== undefined && !principal,
  };
}

/** Sets ctx.state.principal (undefined when the request is anonymous and the service is not open). */
export function authenticate(auth: Authenticator): Middleware<AppState> {
  return async (ctx, next) => {
    let resolved: AuthState;
    try {
      resolved = await resolveAuth(auth, (h) => ctx.get(h));
    } catch (err) {
      ctx.state.log.error({ err }, 'API key lookup failed');
      throw unavailable('Database unavailable');
    }
    ctx.state.authMode = resolved.authMode;
    ctx.state.authUnavailable = resolved.authUnavailable;
    ctx.state.principal = resolved.principal;
    ctx.state.credentialsRejected = resolved.credentialsRejected;
    await next();
  };
}

const MISSING = 'A valid API key is required (X-API-Key or Authorization: Bearer)';

/** The principal of a request that must be authenticated (401 otherwise). */
export function principalOf(state: AppState): Principal {
  if (!state.principal && state.authUnavailable && !state.credentialsRejected) throw unavailable('Database unavailable');
  if (!state.principal) throw unauthorized(state.credentialsRejected ? 'Invalid API key' : MISSING);
  return state.principal;
}

/** Throws 401 without a principal and 403 when its role is not one of `roles`. */
export function assertRole(state: AppState, roles: readonly Role[]): Principal {
  const principal = principalOf(state);
  if (!(roles as readonly string[]).includes(principal.role)) {
    throw forbidden(`This needs a key with the ${roles.join(' or ')} role`);
  }
  return principal;
}

/** Route middleware form of assertRole. */
export const requireRole =
  (...roles: Role[]): Middleware<AppState> =>
  async (ctx, next) => {
    assertRole(ctx.state, roles);
    await next();
  };

/** The links a principal may see and change: all of them for admins, else those its key created. */
export const scopeOf = (p: Principal): OwnerScope => (p.role === 'admin' ? { kind: 'all' } : { kind: 'key', keyId: p.keyId });

/** Every role that may read links; every role that may write them. */
export const READ_ROLES: readonly Role[] = ['admin', 'editor', 'viewer'];
export const WRITE_ROLES: readonly Role[] = ['admin', 'editor'];
