/**
 * Sign in with an API key, or open the keyless local mode of a server that runs without keys. Either way the
 * choice is checked against the list endpoint before it is kept, so a wrong key is reported here.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, saveSession, type Session } from '../lib/client';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const tryWith = async (session: Session) => {
    setBusy(true);
    setError(undefined);
    saveSession(session);
    try {
      await api.list({ limit: '1' });
      onSignedIn(session);
    } catch (err) {
      saveSession(null);
      const status = err instanceof ApiError ? err.status : 0;
      if (session?.mode === 'open' && (status === 401 || status === 403)) setError('This server needs an API key.');
      else if (status === 401 || status === 403) setError('That key was not accepted.');
      else setError(err instanceof Error ? err.message : 'Could not reach the server.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="narrow-card">
      <h1>Your links</h1>
      <form class="card" onSubmit={(e) => (e.preventDefault(), void tryWith({ mode: 'key', key: key.trim() }))}>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="current-password" required value={key}
          onInput={(e) => setKey(e.currentTarget.value)} autoFocus />
        <p class="muted">
          Create one with <code>npm run keys -- create --name me --role editor</code>. It stays in this tab only.
        </p>
        <div class="actions">
          <button type="submit" disabled={busy}>Sign in</button>
          <button type="button" class="secondary" disabled={busy} onClick={() => void tryWith({ mode: 'open' })}>
            Continue without a key (local mode)
          </button>
        </div>
        {error ? <div class="alert" role="alert">{error}</div> : null}
      </form>
    </div>
  );
}
