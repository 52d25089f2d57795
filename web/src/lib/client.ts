/**
 * The one place the browser talks to the API: the public JSON API only, with the signed-in key (if any) in
 * X-API-Key. Errors become ApiError with the API's {"detail"} turned into one readable sentence.
 */
import { describeDetail } from './errors';
import type { Analytics, Link, LinkInput, LinkPage } from './types';

export { describeDetail } from './errors';

const KEY_STORE = 'linkhop.key';
const MODE_STORE = 'linkhop.mode';

/** How this tab is signed in: with a key, in the keyless local mode, or not at all. */
export type Session = { mode: 'key'; key: string } | { mode: 'open' } | null;

export function loadSession(): Session {
  const mode = sessionStorage.getItem(MODE_STORE);
  const key = sessionStorage.getItem(KEY_STORE);
  if (mode === 'key' && key) return { mode: 'key', key };
  if (mode === 'open') return { mode: 'open' };
  return null;
}

export function saveSession(session: Session): void {
  if (session === null) {
    sessionStorage.removeItem(MODE_STORE);
    sessionStorage.removeItem(KEY_STORE);
    return;
  }
  sessionStorage.setItem(MODE_STORE, session.mode);
  if (session.mode === 'key') sessionStorage.setItem(KEY_STORE, session.key);
  else sessionStorage.removeItem(KEY_STORE);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const session = loadSession();
  const h: Record<string, string> = { Accept: 'application/json', ...extra };
  if (session?.mode === 'key') h['X-API-Key'] = session.key;
  return h;
}

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  if (!res.ok) {
    const payload = (await res.json().catch(() => ({}))) as { detail?: unknown };
    throw new ApiError(res.status, describeDetail(payload.detail, res.status));
  }
  return res;
}

const json = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
  (await request(method, path, body)).json() as Promise<T>;

const enc = encodeURIComponent;
const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export interface ListQuery {
  q?: string;
  tag?: string;
  sort?: string;
  cursor?: string;
  limit?: string;
}

export const api = {
  shorten: (input: LinkInput) => json<Link>('POST', '/api/shorten', input),
  list: (params: ListQuery) => json<LinkPage>('GET', `/api/links${query({ ...params })}`),
  get: (code: string) => json<Link>('GET', `/api/links/${enc(code)}`),
  update: (code: string, patch: LinkInput) => json<Link>('PATCH', `/api/links/${enc(code)}`, patch),
  remove: async (code: string) => void (await request('DELETE', `/api/links/${enc(code)}`)),
  analytics: (code: string, params: { from: string; to: string; interval: string; tz?: string }) =>
    json<Analytics>('GET', `/api/links/${enc(code)}/analytics${query(params)}`),
  /** A binary answer (QR image, CSV export) as a Blob, fetched with the session's key. */
  blob: async (path: string) => (await request('GET', path)).blob(),
  linksCsvPath: (params: ListQuery) => `/api/links.csv${query({ q: params.q, tag: params.tag, sort: params.sort })}`,
  clicksCsvPath: (code: string, from: string, to: string) => `/api/links/${enc(code)}/clicks.csv${query({ from, to })}`,
  qrPath: (code: string, size = 240) => `/api/links/${enc(code)}/qr?format=svg&size=${size}`,
};

/** Saves a Blob fetched with the key as a file, through a temporary object URL. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await api.blob(path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
