/** `/app`: sign in (API key or keyless local mode), then the link list and each link's analytics page. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import '../styles.css';
import { loadSession, saveSession, type Session } from '../lib/client';
import { Header } from '../ui/Header';
import { LinkList } from './LinkList';
import { LinkPage } from './LinkPage';
import { navigate, useLocation } from './router';
import { SignIn } from './SignIn';

function App() {
  const [session, setSession] = useState<Session>(loadSession);
  const { path, search } = useLocation();

  const signOut = () => {
    saveSession(null);
    setSession(null);
    navigate('/app');
  };
  const linkMatch = /^\/app\/links\/([^/]+)$/.exec(path);
  let view;
  if (!session) view = <SignIn onSignedIn={(s) => (saveSession(s), setSession(s))} />;
  else if (linkMatch) view = <LinkPage code={decodeURIComponent(linkMatch[1])} />;
  else view = <LinkList search={search} />;

  return (
    <>
      <Header>
        {session ? (
          <>
            <span class="muted">{session.mode === 'key' ? 'Signed in with a key' : 'Local mode'}</span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : null}
      </Header>
      <main id="main">{view}</main>
    </>
  );
}

render(<App />, document.getElementById('root')!);
