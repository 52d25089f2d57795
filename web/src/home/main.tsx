/** `/`: shorten a link (optional custom code, expiry, password and more), then show it with a copy button and QR. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import '../styles.css';
import { ApiError, api, loadSession } from '../lib/client';
import type { Link } from '../lib/types';
import { Header } from '../ui/Header';
import { LinkFields, createBody, emptyFields, type FieldValues } from '../ui/LinkFields';
import { ShortResult } from '../ui/ShortResult';

function Home() {
  const [values, setValues] = useState<FieldValues>(emptyFields);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ text: string; needsKey: boolean }>();
  const [created, setCreated] = useState<Link>();
  const session = loadSession();

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setCreated(await api.shorten(createBody(values)));
      setValues(emptyFields());
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError({
        text: err instanceof Error ? err.message : 'Something went wrong',
        needsKey: status === 401 || status === 403,
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Header>{session?.mode === 'key' ? <span class="muted">Signed in</span> : null}</Header>
      <main id="main" class="narrow">
        <h1>Shorten a link</h1>
        <p class="lead">Paste a long URL and get a short one, with its QR code. Add a custom code, an expiry or a password if you like.</p>
        <form class="card" onSubmit={submit} aria-describedby={error ? 'form-error' : undefined}>
          <label for="url">Long URL</label>
          <div class="row">
            <input id="url" name="url" type="url" required placeholder="https://example.com/a/very/long/path"
              value={values.url} onInput={(e) => setValues({ ...values, url: e.currentTarget.value })} autoFocus />
            <button type="submit" disabled={busy}>{busy ? 'Shortening…' : 'Shorten'}</button>
          </div>
          <details>
            <summary>Options: custom code, expiry, password</summary>
            <label for="custom-code">
              Custom code <span class="hint">(3-20 letters or digits)</span>
            </label>
            <input id="custom-code" pattern="[0-9A-Za-z]{3,20}" maxLength={20} value={values.custom_code}
              onInput={(e) => setValues({ ...values, custom_code: e.currentTarget.value })} />
            <LinkFields id="home" values={values} onChange={setValues} />
          </details>
          {error ? (
            <div class="alert" role="alert" id="form-error">
              {error.text}
              {error.needsKey ? (
                <>
                  {' '}
                  — <a href="/app">sign in with an API key</a> first.
                </>
              ) : null}
            </div>
          ) : null}
        </form>
        {created ? <ShortResult link={created} /> : null}
      </main>
    </>
  );
}

render(<Home />, document.getElementById('root')!);
