/** One link: its settings (edit, delete), its short link and QR code, and its analytics. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/client';
import { formatDate, formatNumber } from '../lib/format';
import type { Link } from '../lib/types';
import { CopyButton, useQr } from '../ui/ShortResult';
import { AnalyticsPanel } from './AnalyticsPanel';
import { ConfirmDelete } from './ConfirmDelete';
import { EditLink } from './EditLink';
import { navigate } from './router';

export function LinkPage({ code }: { code: string }) {
  const [link, setLink] = useState<Link>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string>();
  const qr = useQr(code);

  useEffect(() => {
    let live = true;
    api
      .get(code)
      .then((l) => live && setLink(l))
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [code]);

  if (error) {
    return (
      <>
        <div class="alert" role="alert">{error}</div>
        <a href="/app">← All links</a>
      </>
    );
  }
  if (!link) return <p class="muted" aria-busy="true">Loading…</p>;

  return (
    <>
      <a href="/app">← All links</a>
      <h1>
        /{link.short_code}
        {link.title ? <span class="muted"> · {link.title}</span> : null}
      </h1>
      {notice ? <div class="notice" role="status">{notice}</div> : null}
      <section class="card result" aria-label="Link">
        <div>
          <a class="short" href={link.short_url} data-testid="short-link">{link.short_url}</a>
          <div class="dest" data-testid="destination">→ {link.original_url}</div>
          <p class="muted">
            Created {formatDate(link.created_at)}
            {link.expires_at ? <> · expires {formatDate(link.expires_at)}</> : null}
            {link.max_visits ? <> · limit {formatNumber(link.max_visits)} visits</> : null}
            {link.has_password ? <> · password protected</> : null}
          </p>
          {(link.tags ?? []).map((t) => (
            <a class="chip" key={t} href={`/app?tag=${encodeURIComponent(t)}`}>{t}</a>
          ))}
          <div class="actions">
            <CopyButton text={link.short_url} />
            <button type="button" class="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>
              Edit
            </button>
            <ConfirmDelete code={link.short_code} onDeleted={(c) => navigate('/app', `Deleted /${c}`)} />
          </div>
        </div>
        {qr ? <img class="qr" src={qr} alt={`QR code for ${link.short_url}`} width={160} height={160} /> : null}
      </section>
      {editing ? (
        <EditLink link={link} onSaved={(l) => (setLink(l), setEditing(false), setNotice('Saved'))} onCancel={() => setEditing(false)} />
      ) : null}
      <AnalyticsPanel code={link.short_code} />
    </>
  );
}
