/**
 * End-user pages, chosen when the client accepts text/html: a browser that follows a dead short link gets a
 * readable page with the same status an API client gets as JSON ({"detail": ...}), never raw JSON.
 */
import { escapeHtml, renderPage } from './template';

export { PAGE_CSP, PAGE_HEADERS, acceptsHtml, escapeHtml, renderPage } from './template';

/** 404: the code was never created, was deleted, or the path is no page of this site. */
export const NOT_FOUND_PAGE = renderPage(
  'Link not found',
  '<h1>Link not found</h1><p>This short link does not exist. Check it for typos, or ask whoever sent it for a new one.</p>' +
    '<p><a href="/">Shorten a link</a></p>',
);

/** 410: the link existed but expired or used up its visits; `detail` is the API's message for the case. */
export function renderGonePage(detail: string): string {
  const reason = /visit limit/i.test(detail)
    ? 'This short link has been opened as many times as its owner allowed.'
    : 'This short link has expired.';
  return renderPage('Link no longer available', `<h1>Link no longer available</h1><p>${escapeHtml(reason)}</p><p><a href="/">Shorten a link</a></p>`);
}

/** 401: the password form of a protected link; it posts the field `password` back to `/{code}`. */
export function renderPasswordPage(code: string, opts: { wrong?: boolean } = {}): string {
  const error = opts.wrong ? '<p class="err" role="alert" id="pw-error">Wrong password. Try again.</p>' : '';
  const described = opts.wrong ? ' aria-describedby="pw-error" aria-invalid="true"' : '';
  return renderPage(
    'Password required',
    `<h1>Password required</h1><p>The link <span class="code">/${escapeHtml(code)}</span> is protected. Enter its password to continue.</p>` +
      `${error}<form method="post" action="/${encodeURIComponent(code)}">` +
      `<label for="password">Password</label>` +
      `<input id="password" name="password" type="password" required autocomplete="current-password" autofocus${described}>` +
      `<button type="submit">Continue</button></form>`,
  );
}

/** The page for an error a short link can answer (404, 410), or undefined when the JSON body should stay. */
export function errorPage(status: number, detail: unknown): string | undefined {
  if (status === 404) return NOT_FOUND_PAGE;
  if (status === 410) return renderGonePage(typeof detail === 'string' ? detail : '');
  return undefined;
}
