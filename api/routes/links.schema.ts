/**
 * Validation of the public link API (zod): the seed's rules, tightened as seed-contracts.md asks, plus the
 * link management fields. Bodies are strict: an unknown field is a 422 naming it, since a silently dropped
 * `expires_at` would make a user believe a link expires. The same schemas generate the OpenAPI document.
 */
import { z } from 'zod';

export const MAX_URL_BYTES = 2048;
/** Shape of any code the API can hold: generated (7 chars) or custom (3–20), ASCII alphanumerics only. */
export const CODE_PATTERN = /^[0-9A-Za-z]{3,20}$/;

/** Words that are (or may become) routes or well-known files; a link under one could never redirect. */
export const RESERVED_CODES: ReadonlySet<string> = new Set([
  'api', 'health', 'ready', 'metrics', 'admin', 'docs', 'openapi', 'static', 'favicon', 'robots',
  'sitemap', 'swagger', 'redoc', 'assets', 'queues', 'shorten', 'stats', 'wellknown', 'app',
]);

/** True for codes that collide with a route, whatever their case. */
export const isReservedCode = (code: string): boolean => RESERVED_CODES.has(code.toLowerCase());

/** True when `code` could name a link; anything else is a 404 without any lookup. */
export const isPossibleCode = (code: string): boolean => CODE_PATTERN.test(code) && !isReservedCode(code);

// C0 and C1 controls, DEL, any Unicode whitespace and the backslash (which browsers rewrite to a slash).
const FORBIDDEN_CHARS = /[\u0000-\u001F\u007F-\u009F\s\\]/u;
const SCHEME_AND_AUTHORITY = /^https?:\/\/([^/?#]+)/i;
const HOST_LABELS = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;
const NON_ASCII = /[^\x00-\x7F]/;

/**
 * Checks a submitted URL and returns the form to store, or the reason it is refused.
 * ASCII input is stored byte for byte; input with non-ASCII characters is stored in its WHATWG-normalised
 * form (punycode host, percent-encoded path), because Node cannot send a header character above 0xFF and
 * Location must always be exactly what is stored.
 */
export function checkUrl(input: string): { ok: true; url: string } | { ok: false; reason: string } {
  if (input.length === 0) return { ok: false, reason: 'URL must not be empty' };
  if (Buffer.byteLength(input, 'utf8') > MAX_URL_BYTES) {
    return { ok: false, reason: `URL must be at most ${MAX_URL_BYTES} bytes` };
  }
  if (FORBIDDEN_CHARS.test(input)) return { ok: false, reason: 'URL must not contain whitespace, control characters or backslashes' };
  const authority = SCHEME_AND_AUTHORITY.exec(input);
  if (!authority) return { ok: false, reason: 'URL must be an absolute http:// or https:// URL' };
  if (authority[1].includes('@')) return { ok: false, reason: 'URL must not contain credentials' };
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch {
    return { ok: false, reason: 'URL is not valid' };
  }
  const host = parsed.hostname;
  const isIp = host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
  if (!host || (!isIp && !HOST_LABELS.test(host))) return { ok: false, reason: 'URL must have a valid host' };
  const stored = NON_ASCII.test(input) ? parsed.href : input;
  if (stored.length > MAX_URL_BYTES) return { ok: false, reason: `URL must be at most ${MAX_URL_BYTES} bytes once encoded` };
  return { ok: true, url: stored };
}

export const urlField = z
  .string({ error: (issue) => (issue.input === undefined ? 'Field required' : 'URL must be a string') })
  .transform((value, ctx) => {
    const result = checkUrl(value);
    if (result.ok) return result.url;
    ctx.issues.push({ code: 'custom', message: result.reason, input: value });
    return z.NEVER;
  })
  .meta({ description: `Absolute http(s) URL with a host, at most ${MAX_URL_BYTES} bytes`, example: 'https://example.com/page' });

const customCodeField = z
  .string({ error: 'custom_code must be a string' })
  .min(3, 'custom_code must be at least 3 characters')
  .max(20, 'custom_code must be at most 20 characters')
  .regex(/^[0-9A-Za-z]+$/, 'custom_code must contain only ASCII letters and digits')
  .refine((code) => !isReservedCode(code), 'custom_code is a reserved word')
  .meta({ description: '3-20 ASCII letters or digits, not a reserved word', example: 'mycode' });

export const TAG_PATTERN = /^[a-z0-9_-]{1,32}$/;
export const tagField = z.string({ error: 'a tag must be a string' }).regex(TAG_PATTERN, 'a tag is 1-32 of a-z 0-9 - _');

const expiresAtField = z.iso
  .datetime({ offset: true, error: 'expires_at must be an RFC 3339 date-time with a time zone' })
  .refine((v) => Date.parse(v) > Date.now(), 'expires_at must be in the future')
  .meta({ example: '2030-01-01T00:00:00Z' });
const maxVisitsField = z
  .number({ error: 'max_visits must be an integer' })
  .int('max_visits must be an integer')
  .min(1, 'max_visits must be at least 1')
  .max(2_147_483_647, 'max_visits is too large')
  .meta({ description: 'Redirects (307s) allowed; exact across replicas', example: 50 });
const passwordField = z
  .string({ error: 'password must be a string' })
  .min(4, 'password must be at least 4 characters')
  .max(128, 'password must be at most 128 characters')
  .meta({ description: 'Stored as a salted scrypt hash; never returned', writeOnly: true });
const tagsField = z.array(tagField, { error: 'tags must be a list' }).max(10, 'at most 10 tags').meta({ example: ['launch'] });
const titleField = z.string({ error: 'title must be a string' }).max(200, 'title must be at most 200 characters');
const forwardQueryField = z
  .boolean({ error: 'forward_query must be a boolean' })
  .meta({ description: "Merge the redirect request's query string into the destination's (default true)" });

/** The message of an unknown body field, named so the client sees which one. */
const bodyError = (issue: { code?: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys' ? `Unknown field(s): ${(issue.keys ?? []).join(', ')}` : 'Body must be a JSON object';

/** POST /api/shorten body (and one item of a bulk create); `custom_code: null` means "generate one", as in the seed. */
export const ShortenBodySchema = z
  .strictObject(
    {
      url: urlField,
      custom_code: customCodeField.nullish(),
      expires_at: expiresAtField.nullish(),
      max_visits: maxVisitsField.nullish(),
      password: passwordField.nullish(),
      tags: tagsField.nullish(),
      title: titleField.nullish(),
      forward_query: forwardQueryField.nullish(),
    },
    { error: bodyError },
  )
  .meta({ id: 'ShortenRequest' });
export type ShortenBody = z.infer<typeof ShortenBodySchema>;

/** The fields the seed knew; a create that sends only these gets the seed's exact link body back. */
export const SEED_FIELDS: ReadonlySet<string> = new Set(['url', 'custom_code']);

/** True for a JSON object whose keys are all seed fields (what most clients send). */
export const isSeedOnlyBody = (raw: unknown): boolean =>
  typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.keys(raw).every((k) => SEED_FIELDS.has(k));

/**
 * ShortenBodySchema cut to the seed's fields, with the same rules and messages: for a seed-only body it answers
 * exactly what the full schema does, with a quarter of the work (each absent optional field costs a check).
 */
export const SeedShortenBodySchema = ShortenBodySchema.pick({ url: true, custom_code: true });

/** PATCH /api/links/{code}: every field optional, `null` clears it. */
export const PatchBodySchema = z
  .strictObject(
    {
      url: urlField.optional(),
      expires_at: expiresAtField.nullable().optional(),
      max_visits: maxVisitsField.nullable().optional(),
      password: passwordField.nullable().optional(),
      tags: tagsField.nullable().optional(),
      title: titleField.nullable().optional(),
      forward_query: forwardQueryField.nullable().optional(),
    },
    { error: bodyError },
  )
  .refine((b) => Object.keys(b).length > 0, 'Body must change at least one field')
  .meta({ id: 'LinkPatch' });
export type PatchBody = z.infer<typeof PatchBodySchema>;

export const MAX_BULK_ITEMS = 1000;
/** POST /api/links/bulk body; items are validated one by one so each gets its own status. */
export const BulkBodySchema = z
  .strictObject(
    {
      links: z
        .array(z.unknown(), { error: 'links must be a list' })
        .min(1, 'links must not be empty')
        .max(MAX_BULK_ITEMS, `at most ${MAX_BULK_ITEMS} links per request`)
        .meta({ override: { items: { $ref: '#/components/schemas/ShortenRequest' } } }),
    },
    { error: bodyError },
  )
  .meta({ id: 'BulkRequest' });

/** Query of GET /api/links and GET /api/links.csv. */
export const ListQuerySchema = z
  .strictObject(
    {
      limit: z.coerce.number({ error: 'limit must be an integer' }).int('limit must be an integer').min(1, 'limit must be at least 1').max(100, 'limit must be at most 100').default(20),
      cursor: z.string().max(512, 'cursor is too long').optional().meta({ description: 'next_cursor of the previous page' }),
      tag: tagField.optional(),
      q: z.string().min(1).max(200, 'q must be at most 200 characters').optional().meta({ description: 'Matches the destination or the title' }),
      sort: z.enum(['created', 'clicks'], { error: "sort must be 'created' or 'clicks'" }).default('created'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown parameter(s): ${(issue.keys ?? []).join(', ')}` : 'Invalid query') },
  );
export type ListQuery = z.infer<typeof ListQuerySchema>;

/** Query of GET /api/links/{code}/qr. */
export const QrQuerySchema = z.strictObject(
  {
    format: z.enum(['svg', 'png'], { error: "format must be 'svg' or 'png'" }).default('svg'),
    size: z.coerce.number({ error: 'size must be an integer' }).int('size must be an integer').min(64, 'size must be at least 64').max(1024, 'size must be at most 1024').default(256),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown parameter(s): ${(issue.keys ?? []).join(', ')}` : 'Invalid query') },
);

/** The seed's link body (201 of a seed-only create, 200 of stats). */
export const SeedLinkSchema = z
  .object({
    id: z.number().int(),
    short_code: z.string(),
    original_url: z.string(),
    short_url: z.string().meta({ description: '<BASE_URL>/<short_code>' }),
    clicks: z.number().int(),
    created_at: z.string().meta({ format: 'date-time', description: 'RFC 3339, UTC (Z)' }),
    updated_at: z.string().meta({ format: 'date-time', description: 'RFC 3339, UTC (Z)' }),
  })
  .meta({ id: 'SeedLink' });

/** The full link body of the management API. */
export const LinkSchema = SeedLinkSchema.extend({
  expires_at: z.string().nullable().meta({ format: 'date-time' }),
  max_visits: z.number().int().nullable(),
  visits: z.number().int().meta({ description: 'Redirects handed out (counted only for links with max_visits)' }),
  has_password: z.boolean(),
  tags: z.array(z.string()),
  title: z.string().nullable(),
  forward_query: z.boolean(),
}).meta({ id: 'Link' });

export const LinkListSchema = z
  .object({ items: z.array(LinkSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'LinkList' });

/** Path parameter `{code}` of the link routes. */
export const CodeParamSchema = z.object({ code: z.string().meta({ pattern: CODE_PATTERN.source, example: 'abc1234' }) });

/** One field error in the seed's (FastAPI) shape; the input is not echoed back. */
export interface FieldError {
  type: string;
  loc: Array<string | number>;
  msg: string;
}

/** Turns zod issues into the 422 `detail` list; an unknown field gets its own entry naming it. */
export function fieldErrors(error: z.ZodError, where: string = 'body'): FieldError[] {
  return error.issues.flatMap((issue) => {
    const loc = [where, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ type: 'extra_forbidden', loc: [...loc, key], msg: `Unknown field '${key}'` }));
    }
    return [{ type: issue.code === 'custom' ? 'value_error' : issue.code, loc, msg: issue.message }];
  });
}
