/**
 * Validation of the public link API (zod): the seed's rules, tightened as seed-contracts.md asks.
 * Unknown body fields are ignored (the seed's clients may send extras); everything else is strict.
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

const urlField = z
  .string({ error: (issue) => (issue.input === undefined ? 'Field required' : 'URL must be a string') }).transform((value, ctx) => {
  const result = checkUrl(value);
  if (result.ok) return result.url;
  ctx.issues.push({ code: 'custom', message: result.reason, input: value });
  return z.NEVER;
});

const customCodeField = z
  .string({ error: 'custom_code must be a string' })
  .min(3, 'custom_code must be at least 3 characters')
  .max(20, 'custom_code must be at most 20 characters')
  .regex(/^[0-9A-Za-z]+$/, 'custom_code must contain only ASCII letters and digits')
  .refine((code) => !isReservedCode(code), 'custom_code is a reserved word');

/** POST /api/shorten body; `custom_code: null` means "generate one", as in the seed. */
export const ShortenBodySchema = z.object(
  { url: urlField, custom_code: customCodeField.nullish() },
  { error: 'Body must be a JSON object' },
);
export type ShortenBody = z.infer<typeof ShortenBodySchema>;

/** One field error in the seed's (FastAPI) shape; the input is not echoed back. */
export interface FieldError {
  type: string;
  loc: Array<string | number>;
  msg: string;
}

/** Turns zod issues into the 422 `detail` list. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    type: issue.code === 'custom' ? 'value_error' : issue.code,
    loc: ['body', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    msg: issue.message,
  }));
}
