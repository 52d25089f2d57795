/**
 * The one look of every page an end user of a short link can meet (not found, gone, password form): a small
 * self-contained HTML document with its stylesheet inline and allowed by hash, so it needs no extra request
 * and its Content-Security-Policy allows nothing else (no script at all, forms post only to this origin).
 */
import { createHash } from 'node:crypto';

const STYLE = `:root{color-scheme:light dark;--bg:#f7f8fa;--fg:#1b1f24;--muted:#4a5360;--card:#fff;--line:#d3d8df;--accent:#0b57d0;--err:#b3261e}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e8eaed;--muted:#b4bcc6;--card:#1b2027;--line:#38414c;--accent:#8ab4f8;--err:#f2b8b5}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:1rem}
main{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:2rem;max-width:28rem;width:100%}
h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.5rem 0;color:var(--muted)}.code{font-family:ui-monospace,monospace;color:var(--fg)}
a{color:var(--accent)}a:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
label{display:block;font-weight:600;margin:1rem 0 .25rem}input{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg)}
button{margin-top:1rem;font:inherit;font-weight:600;padding:.6rem 1.2rem;border:0;border-radius:8px;background:var(--accent);color:var(--card);cursor:pointer}
.err{color:var(--err);font-weight:600}.brand{font-weight:700;color:var(--accent);text-decoration:none;display:inline-block;margin-bottom:1rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * The policy of every end-user page: nothing loads but the inline stylesheet above, and no script runs.
 * form-action names http(s) as well as this origin because the one form (the password) posts here and a right
 * password answers 303 to the link's destination, and Chromium checks that redirect against form-action too.
 */
export const PAGE_CSP =
  `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self' https: http:; ` +
  "base-uri 'none'; frame-ancestors 'none'";

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A whole page around `body` (already escaped HTML). */
export function renderPage(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${escapeHtml(title)} · linkhop</title><style>${STYLE}</style></head>` +
    `<body><main><a class="brand" href="/">linkhop</a>${body}</main></body></html>`
  );
}

/** True when the client asked for HTML (a browser), so an error may be a page rather than JSON. */
export function acceptsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

/** Headers of every end-user page. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': PAGE_CSP,
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
