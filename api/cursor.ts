/**
 * Opaque, tamper-evident list cursors: base64url(JSON) + "." + an HMAC-SHA256 of it under a key derived from
 * SHORT_CODE_KEY. A cursor that was edited, truncated or made for another sort is a 400, never a query.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ListPosition, ListSort } from '../db/link-list';
import { badRequest } from './errors';

interface CursorBody extends ListPosition {
  s: ListSort;
}

/** Signs and checks cursors with one secret. */
export function createCursorCodec(secret: string) {
  const key = createHmac('sha256', secret).update('linkhop list cursor v1').digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    encode(sort: ListSort, at: ListPosition): string {
      const body: CursorBody = { s: sort, id: at.id, ...(sort === 'clicks' ? { clicks: at.clicks ?? 0 } : {}) };
      const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
      return `${payload}.${mac(payload)}`;
    },
    /** The position in `cursor`; throws a 400 when it is not one this server signed for `sort`. */
    decode(cursor: string, sort: ListSort): ListPosition {
      const invalid = () => badRequest('Invalid cursor: it was changed or does not belong to this listing');
      const dot = cursor.indexOf('.');
      if (dot <= 0) throw invalid();
      const payload = cursor.slice(0, dot);
      const given = Buffer.from(cursor.slice(dot + 1));
      const expected = Buffer.from(mac(payload));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      let body: CursorBody;
      try {
        body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CursorBody;
      } catch {
        throw invalid();
      }
      if (body.s !== sort || !Number.isSafeInteger(body.id)) throw invalid();
      if (sort === 'clicks' && !Number.isSafeInteger(body.clicks)) throw invalid();
      return sort === 'clicks' ? { id: body.id, clicks: body.clicks } : { id: body.id };
    },
  };
}
export type CursorCodec = ReturnType<typeof createCursorCodec>;
