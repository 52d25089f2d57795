/** Small display helpers shared by both pages. */

const numberFormat = new Intl.NumberFormat();
export const formatNumber = (n: number): string => numberFormat.format(n);

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDate = (iso: string | null | undefined): string => (iso ? dateFormat.format(new Date(iso)) : '');

/** A datetime-local input's value (local time, no zone) as RFC 3339 UTC, or undefined when empty. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** RFC 3339 as a datetime-local input's value, in local time. */
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Tags typed as "a, b c" into the API's list (lower case, deduplicated). */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

/** The link's own URL without the scheme, for compact display. */
export const shortDisplay = (url: string): string => url.replace(/^https?:\/\//, '');
