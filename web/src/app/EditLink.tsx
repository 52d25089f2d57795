/** Edit a link's destination and options (PATCH /api/links/{code}); an emptied field is cleared. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/client';
import type { Link } from '../lib/types';
import { LinkFields, fieldsOf, patchBody, type FieldValues } from '../ui/LinkFields';

interface Props {
  link: Link;
  onSaved: (link: Link) => void;
  onCancel: () => void;
}

export function EditLink({ link, onSaved, onCancel }: Props) {
  const [values, setValues] = useState<FieldValues>(() => fieldsOf(link));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await api.update(link.short_code, patchBody(values)));
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Save failed');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-label="Edit link">
      <h2>Edit /{link.short_code}</h2>
      <label for="edit-url">Destination URL</label>
      <input id="edit-url" type="url" required value={values.url} onInput={(e) => setValues({ ...values, url: e.currentTarget.value })} ref={first} />
      <LinkFields id="edit" values={values} onChange={setValues} editing={{ hasPassword: Boolean(link.has_password) }} />
      <div class="actions">
        <button type="submit" disabled={busy}>Save</button>
        <button type="button" class="secondary" onClick={onCancel}>Cancel</button>
      </div>
      {error ? <div class="alert" role="alert">{error}</div> : null}
    </form>
  );
}
