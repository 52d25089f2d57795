/**
 * Reads a JSON request body with the API's limits: application/json in UTF-8 only (415), at most
 * `limitBytes` (413, decided from Content-Length before reading when it is given), valid JSON (400).
 */
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

function readRaw(ctx: Context, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(ctx, limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(badRequest(`Could not read request body: ${err.message}`));
    };
    const onAborted = () => onError(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
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

  const raw = await readRaw(ctx, limitBytes);
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
