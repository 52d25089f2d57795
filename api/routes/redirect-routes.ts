/**
 * POST /{code} to unlock a password link (GET/HEAD are the fast path in redirect.ts). Wrong guesses are limited per client and code with Redis counters
 * that expire (bounded memory); a right password redirects like GET would, counting the visit and the click.
 */
import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { consumeVisit, findLinkByCode } from '../../db/links';
import type { Link } from '../../db/schema';
import type { AppDeps, AppState } from '../deps';
import { HttpError, notFound, tooManyRequests, unavailable, unprocessable } from '../errors';
import { readFormOrJsonBody } from '../middleware/json-body';
import { errorResponses, jsonContent, documentRoute } from '../openapi';
import { verifyPassword } from '../passwords';
import { CodeParamSchema, fieldErrors, isPossibleCode } from './links.schema';
import { EXPIRED_BODY, REDIRECT_ROUTE, USED_UP_BODY, rawQuery, sendPasswordPage, sendRedirect, wantsHtml, withQuery } from './redirect';

/** Wrong guesses allowed per client and code in one window. */
export const PASSWORD_ATTEMPTS = 10;
const PASSWORD_WINDOW_MS = 15 * 60_000;

const UnlockBodySchema = z
  .strictObject(
    { password: z.string({ error: 'Field required' }).min(1, 'password must not be empty').max(128, 'password is too long') },
    { error: (i) => (i.code === 'unrecognized_keys' ? `Unknown field(s): ${(i.keys ?? []).join(', ')}` : 'Body must be an object') },
  )
  .meta({ id: 'UnlockRequest' });

// INCR with the window set on the first guess; returns the count and the milliseconds left.
const COUNT_GUESS = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

documentRoute('get', '/{short_code}', {
  summary: 'Redirect to the stored URL (counted as a click)',
  description:
    'Location is the stored URL byte for byte, with the request query string appended when forward_query is on. ' +
    'A password link answers 401 (an HTML form for browsers); an expired or used-up link 410.',
  requestParams: { path: z.object({ short_code: CodeParamSchema.shape.code }) },
  responses: {
    '307': { description: 'Redirect; empty body', headers: { Location: { schema: { type: 'string' } } } },
    ...errorResponses([401, 'Password required'], [404, 'Short URL not found'], [410, 'Short URL expired / reached its visit limit'], 503),
  },
});
documentRoute('head', '/{short_code}', {
  summary: 'Like GET without a body; not a click and does not use a visit',
  requestParams: { path: z.object({ short_code: CodeParamSchema.shape.code }) },
  responses: { '307': { description: 'Redirect' }, ...errorResponses(401, 404, 410) },
});
documentRoute('post', '/{short_code}', {
  summary: 'Unlock a password link',
  description:
    `Form or JSON body with the password. Right: 307 (303 for an HTML form post, so a browser does not re-send ` +
    `the password to the destination). Wrong: 401. After ${PASSWORD_ATTEMPTS} wrong guesses from one client ` +
    'within 15 minutes: 429. Links without a password answer 405.',
  requestParams: { path: z.object({ short_code: CodeParamSchema.shape.code }) },
  requestBody: {
    content: { ...jsonContent(UnlockBodySchema), 'application/x-www-form-urlencoded': { schema: UnlockBodySchema } },
  },
  responses: {
    '307': { description: 'Right password: redirect' },
    '303': { description: 'Right password from an HTML form: redirect' },
    ...errorResponses([401, 'Wrong password'], 405, 410, 422, 429, 503),
  },
});

/**
 * POST /{code} for password links, as a middleware rather than a route: a route on `/:code` would make every
 * single-segment path (/health, ...) look like it takes POST. Anything that is not a live password link goes
 * on to the routers, where the method guard answers 405.
 */
export function unlockPasswordLinks(deps: AppDeps): Middleware<AppState> {
  const { db, pool, redisCache, clicks } = deps;
  return async (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const code = ctx.path.slice(1);
    if (!isPossibleCode(code)) return next();
    let row: Link | null;
    try {
      row = await findLinkByCode(db, code);
    } catch (err) {
      ctx.state.log.error({ err }, 'password link lookup failed');
      throw unavailable('Database unavailable');
    }
    // Only password links take a POST; for anything else (or nothing) the method is simply wrong.
    if (!row?.passwordHash) return next();
    ctx.state.route = REDIRECT_ROUTE;
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new HttpError(410, JSON.parse(EXPIRED_BODY).detail);

    const guessKey = `pwguess:${code}:${createHash('sha256').update(ctx.ip).digest('hex').slice(0, 24)}`;
    let guesses: number;
    let ttl: number;
    try {
      guesses = Number((await redisCache.get(guessKey)) ?? 0);
      ttl = await redisCache.pttl(guessKey);
    } catch {
      // Without the counter, guesses would be unlimited: refuse rather than allow.
      throw unavailable('Password check unavailable');
    }
    if (guesses >= PASSWORD_ATTEMPTS) throw tooManyRequests(Math.max(1, Math.ceil(ttl / 1000)));

    const parsed = UnlockBodySchema.safeParse(await readFormOrJsonBody(ctx, 4096));
    if (!parsed.success) throw unprocessable(fieldErrors(parsed.error));
    const html = wantsHtml(ctx.req);
    if (!(await verifyPassword(parsed.data.password, row.passwordHash))) {
      await (redisCache.eval(COUNT_GUESS, 1, guessKey, String(PASSWORD_WINDOW_MS)) as Promise<unknown>).catch(() => undefined);
      if (html) {
        ctx.status = 401; // for the request metrics; the page is written directly
        ctx.respond = false;
        sendPasswordPage(ctx.res, code, true, false);
        return;
      }
      throw new HttpError(401, 'Wrong password');
    }
    if (row.maxVisits !== null) {
      const outcome = await consumeVisit(pool, code).catch(() => {
        throw unavailable('Database unavailable');
      });
      if (outcome === 'missing') throw notFound();
      if (outcome !== 'counted') throw new HttpError(410, JSON.parse(outcome === 'expired' ? EXPIRED_BODY : USED_UP_BODY).detail);
    }
    const isForm = /^application\/x-www-form-urlencoded/i.test(ctx.get('content-type'));
    ctx.status = isForm ? 303 : 307; // for the request metrics; the redirect is written directly
    ctx.respond = false;
    const location = row.forwardQuery ? withQuery(row.originalUrl, rawQuery(ctx.req.url)) : row.originalUrl;
    sendRedirect(ctx.res, location, isForm ? 303 : 307);
    clicks.record({ shortCode: code, at: Date.now(), referrer: ctx.get('referer'), userAgent: ctx.get('user-agent'), ip: ctx.ip });
  };
}
