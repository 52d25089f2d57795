/**
 * The form values of a link (kept as the inputs' strings) and the API bodies made from them: a create sends
 * only what was filled in, an edit sends every field with null clearing what was emptied.
 */
import { isoToLocalInput, localInputToIso, parseTags } from './format';
import type { Link, LinkInput } from './types';

export interface FieldValues {
  url: string;
  custom_code: string;
  title: string;
  tags: string;
  expires_at: string;
  max_visits: string;
  password: string;
  clear_password: boolean;
}

export const emptyFields = (): FieldValues => ({
  url: '', custom_code: '', title: '', tags: '', expires_at: '', max_visits: '', password: '', clear_password: false,
});

export const fieldsOf = (link: Link): FieldValues => ({
  url: link.original_url,
  custom_code: link.short_code,
  title: link.title ?? '',
  tags: (link.tags ?? []).join(', '),
  expires_at: isoToLocalInput(link.expires_at),
  max_visits: link.max_visits ? String(link.max_visits) : '',
  password: '',
  clear_password: false,
});

/** The create body: only what the user filled in. */
export function createBody(v: FieldValues): LinkInput {
  const body: LinkInput = { url: v.url.trim() };
  if (v.custom_code.trim()) body.custom_code = v.custom_code.trim();
  if (v.title.trim()) body.title = v.title.trim();
  const tags = parseTags(v.tags);
  if (tags.length) body.tags = tags;
  const expires = localInputToIso(v.expires_at);
  if (expires) body.expires_at = expires;
  if (v.max_visits.trim()) body.max_visits = Number(v.max_visits);
  if (v.password) body.password = v.password;
  return body;
}

/** The edit body: every field, with null clearing what was emptied; the password only when changed. */
export function patchBody(v: FieldValues): LinkInput {
  const tags = parseTags(v.tags);
  const body: LinkInput = {
    url: v.url.trim(),
    title: v.title.trim() || null,
    tags: tags.length ? tags : null,
    expires_at: localInputToIso(v.expires_at) ?? null,
    max_visits: v.max_visits.trim() ? Number(v.max_visits) : null,
  };
  if (v.clear_password) body.password = null;
  else if (v.password) body.password = v.password;
  return body;
}
