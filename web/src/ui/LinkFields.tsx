/**
 * The optional fields of a link (title, tags, expiry, visit limit, password), shared by the shorten page and
 * the create/edit form. Values are kept as the inputs' strings; toInput() turns them into the API's body.
 */
import { isoToLocalInput, localInputToIso, parseTags } from '../lib/format';
import type { Link, LinkInput } from '../lib/types';

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

interface Props {
  values: FieldValues;
  onChange: (v: FieldValues) => void;
  /** Prefix of the inputs' ids, so two forms on one page stay distinct. */
  id: string;
  editing?: { hasPassword: boolean };
}

export function LinkFields({ values, onChange, id, editing }: Props) {
  const set = (k: keyof FieldValues) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    onChange({ ...values, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };
  return (
    <div class="grid">
      <div>
        <label for={`${id}-title`}>
          Title <span class="hint">(optional)</span>
        </label>
        <input id={`${id}-title`} maxLength={200} value={values.title} onInput={set('title')} />
      </div>
      <div>
        <label for={`${id}-tags`}>
          Tags <span class="hint">(comma separated)</span>
        </label>
        <input id={`${id}-tags`} value={values.tags} onInput={set('tags')} placeholder="launch, newsletter" />
      </div>
      <div>
        <label for={`${id}-expires`}>
          Expires <span class="hint">(optional)</span>
        </label>
        <input id={`${id}-expires`} type="datetime-local" value={values.expires_at} onInput={set('expires_at')} />
      </div>
      <div>
        <label for={`${id}-max`}>
          Visit limit <span class="hint">(optional)</span>
        </label>
        <input id={`${id}-max`} type="number" min={1} step={1} inputMode="numeric" value={values.max_visits} onInput={set('max_visits')} />
      </div>
      <div>
        <label for={`${id}-password`}>
          Password <span class="hint">{editing?.hasPassword ? '(leave empty to keep)' : '(optional, 4+ characters)'}</span>
        </label>
        <input id={`${id}-password`} type="password" autoComplete="new-password" minLength={4} maxLength={128}
          value={values.password} onInput={set('password')} disabled={values.clear_password} />
        {editing?.hasPassword ? (
          <label class="check">
            <input type="checkbox" checked={values.clear_password} onChange={set('clear_password')} /> Remove the password
          </label>
        ) : null}
      </div>
    </div>
  );
}
