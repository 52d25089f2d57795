/** Errors carry an HTTP status and a stable message; the error middleware turns them into {"detail": ...}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
  }
}

export const notFound = (detail = 'Short URL not found') => new HttpError(404, detail);
export const badRequest = (detail: unknown) => new HttpError(400, detail);
export const unauthorized = (detail = 'Authentication required', scheme = 'Bearer') =>
  new HttpError(401, detail, { 'WWW-Authenticate': scheme });
export const forbidden = (detail = 'Forbidden') => new HttpError(403, detail);
export const conflict = (detail: string) => new HttpError(409, detail);
export const payloadTooLarge = (limit: number) => new HttpError(413, `Request body larger than ${limit} bytes`);
export const unsupportedMediaType = (detail = 'Content-Type must be application/json') => new HttpError(415, detail);
export const unprocessable = (detail: unknown) => new HttpError(422, detail);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new HttpError(429, 'Too many requests', { 'Retry-After': String(retryAfterSeconds) });
export const unavailable = (detail: string) => new HttpError(503, detail);
