/** The optional fields of a link (title, tags, expiry, visit limit, password): the shorten page and the forms. */
import type { FieldValues } from '../lib/fields';

export { createBody, emptyFields, fieldsOf, patchBody, type FieldValues } from '../lib/fields';

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
