/** The create form of the list page, folded away until opened. */
import { useState } from 'preact/hooks';
import { api } from '../lib/client';
import type { Link } from '../lib/types';
import { LinkFields, createBody, emptyFields, type FieldValues } from '../ui/LinkFields';

export function CreateLink({ onCreated }: { onCreated: (link: Link) => void }) {
  const [values, setValues] = useState<FieldValues>(emptyFields);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await api.shorten(createBody(values)));
      setValues(emptyFields());
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Create failed');
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="card">
      <summary>New link</summary>
      <form onSubmit={submit}>
        <div class="grid">
          <div>
            <label for="new-url">Long URL</label>
            <input id="new-url" type="url" required value={values.url} onInput={(e) => setValues({ ...values, url: e.currentTarget.value })} />
          </div>
          <div>
            <label for="new-code">
              Custom code <span class="hint">(optional)</span>
            </label>
            <input id="new-code" pattern="[0-9A-Za-z]{3,20}" maxLength={20} value={values.custom_code}
              onInput={(e) => setValues({ ...values, custom_code: e.currentTarget.value })} />
          </div>
        </div>
        <LinkFields id="new" values={values} onChange={setValues} />
        <div class="actions">
          <button type="submit" disabled={busy}>Create</button>
        </div>
        {error ? <div class="alert" role="alert">{error}</div> : null}
      </form>
    </details>
  );
}
