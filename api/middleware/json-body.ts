/**
 * Reads a JSON request body with the API's limits: application/json in UTF-8 only (415), at most
 * `limitBytes` (413, decided from Content-Length before reading when it is given), valid JSON (400).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { HttpError, badRequest, payloadTooLarge, unsupportedMediaType } from '../errors';

export const JSON_BODY_LIMIT_BYTES = 16 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
// One decoder for every request: decode() without { stream: true } keeps no state between calls.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A 413 that also closes the connection, so an oversized upload is not read to its end. */
function tooLarge(ctx: Context, limit: number): HttpError {
  ctx.set('Connection', 'close');
  return payloadTooLarge(limit);
}

const ignore = (): void => undefined;

/**
 * Collects a request body up to `limit` bytes (`tooLarge` makes the error beyond it). Methods rather than
 * closures: under tsx every named closure is wrapped by a naming call when it is created, and four of them
 * per request showed in the create profile.
 */
class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  // A shared no-op, not an arrow per instance: tsx would wrap each of those in a naming call per request.
  private resolve: (body: Buffer) => void = ignore;
  private reject: (err: HttpError) => void = ignore;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    private readonly tooLarge: () => HttpError,
  ) {
    this.onData = this.onData.bind(this);
    this.onEnd = this.onEnd.bind(this);
    this.onError = this.onError.bind(this);
    this.onAborted = this.onAborted.bind(this);
  }

  read(): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const req = this.req;
      req.on('data', this.onData);
      req.on('end', this.onEnd);
      req.on('error', this.onError);
      req.on('aborted', this.onAborted);
    });
  }

  private cleanup(): void {
    const req = this.req;
    req.off('data', this.onData);
    req.off('end', this.onEnd);
    req.off('error', this.onError);
    req.off('aborted', this.onAborted);
  }

  private onData(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.cleanup();
      this.req.pause();
      this.reject(this.tooLarge());
      return;
    }
    this.chunks.push(chunk);
  }

  private onEnd(): void {
    this.cleanup();
    // One chunk (a small body) is used as it is; Buffer.concat would copy it.
    this.resolve(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size));
  }

  private onError(err: Error): void {
    this.cleanup();
    this.reject(badRequest(`Could not read request body: ${err.message}`));
  }

  private onAborted(): void {
    this.onError(new Error('request aborted'));
  }
}

const readRaw = (ctx: Context, limit: number): Promise<Buffer> => new BodyReader(ctx.req, limit, () => tooLarge(ctx, limit)).read();

/**
 * The body of a request whose Content-Length is already known to be within `limit` (node:http then delivers
 * exactly that many bytes), read from node:http's request by a handler that runs without Koa.
 */
export const readDeclaredBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new BodyReader(req, limit, () => payloadTooLarge(limit)).read();

/** A JSON body's bytes as a value: undefined when empty (the schema then reports it), else a 400 for bad UTF-8 or JSON. */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw badRequest('Request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Malformed JSON body');
  }
}

/**
 * The parsed JSON body of the request, or undefined when the body is empty (the schema then reports it).
 * Throws the 4xx HttpError that describes what is wrong with the request.
 */
export async function readJsonBody(ctx: Context, limitBytes = JSON_BODY_LIMIT_BYTES): Promise<unknown> {
  const mime = (ctx.get('content-type').split(';')[0] ?? '').trim();
  if (!JSON_TYPE.test(mime)) throw unsupportedMediaType();
  const charset = ctx.request.charset;
  if (charset && !/^utf-?8$/i.test(charset)) throw unsupportedMediaType('Only the UTF-8 charset is supported');
  const encoding = ctx.get('content-encoding').toLowerCase();
  if (encoding && encoding !== 'identity') throw unsupportedMediaType('Content-Encoding is not supported');
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limitBytes) throw tooLarge(ctx, limitBytes);

  return parseJsonBody(await readRaw(ctx, limitBytes));
}

// The Content-Type nearly every client sends; other JSON types, charsets or parameters are readJsonBody's to judge.
const PLAIN_JSON = /^application\/json(?:;\s*charset=utf-8)?$/i;
const DECIMAL = /^\d{1,9}$/;

/**
 * The declared length of a body readJsonBody would read without objection: Content-Type application/json
 * (optionally with charset=utf-8), no Content-Encoding, a Content-Length within `limit`. Undefined for any
 * other request, which a handler without Koa then leaves to readJsonBody and its answers.
 */
export function plainJsonLength(req: IncomingMessage, limit: number): number | undefined {
  const { headers } = req;
  const type = headers['content-type'];
  if (type === undefined || !PLAIN_JSON.test(type) || headers['content-encoding'] !== undefined) return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !DECIMAL.test(declared)) return undefined;
  const length = Number(declared);
  return length <= limit ? length : undefined;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded$/i;

/**
 * A form (application/x-www-form-urlencoded, what an HTML form posts) or JSON body as a plain object; a field
 * repeated in a form keeps its last value. Same limits and errors as readJsonBody.
 */
export async function readFormOrJsonBody(ctx: Context, limitBytes = JSON_BODY_LIMIT_BYTES): Promise<unknown> {
  const mime = (ctx.get('content-type').split(';')[0] ?? '').trim();
  if (!FORM_TYPE.test(mime)) return readJsonBody(ctx, limitBytes);
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limitBytes) throw tooLarge(ctx, limitBytes);
  const raw = await readRaw(ctx, limitBytes);
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw badRequest('Request body is not valid UTF-8');
  }
  return Object.fromEntries(new URLSearchParams(text));
}
