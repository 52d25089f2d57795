/**
 * The link list: search (destination or title), a tag filter, sort, cursor pagination (state kept in the URL
 * so a reload or the back button returns to the same page), create, delete and the CSV export of the selection.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, download, type ListQuery } from '../lib/client';
import { formatDate, formatNumber } from '../lib/format';
import type { Link, LinkPage } from '../lib/types';
import { ConfirmDelete } from './ConfirmDelete';
import { CreateLink } from './CreateLink';
import { navigate, takeFlash } from './router';

const PAGE_SIZE = '20';

const listPath = (params: ListQuery): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `/app?${s}` : '/app';
};

export function LinkList({ search }: { search: URLSearchParams }) {
  const params: ListQuery = {
    q: search.get('q') ?? undefined,
    tag: search.get('tag') ?? undefined,
    sort: search.get('sort') ?? undefined,
    cursor: search.get('cursor') ?? undefined,
  };
  const [page, setPage] = useState<LinkPage>();
  const [error, setError] = useState<string>();
  const [text, setText] = useState(params.q ?? '');
  const [reload, setReload] = useState(0);
  const [notice, setNotice] = useState<string | undefined>(takeFlash);
  // Cursors of the pages before this one, so "Previous" works without the API paging backwards.
  const [trail, setTrail] = useState<string[]>([]);
  const key = listPath(params);

  useEffect(() => {
    let live = true;
    setError(undefined);
    api
      .list({ ...params, limit: PAGE_SIZE })
      .then((p) => live && setPage(p))
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [key, reload]);

  const go = (next: ListQuery, keepTrail = false) => {
    if (!keepTrail) setTrail([]);
    navigate(listPath(next));
  };
  const onSearch = (e: Event) => {
    e.preventDefault();
    go({ ...params, q: text.trim() || undefined, cursor: undefined });
  };
  const created = (link: Link) => {
    setNotice(`Created ${link.short_url}`);
    go({ sort: params.sort });
    setReload((n) => n + 1);
  };
  const deleted = (code: string) => {
    setNotice(`Deleted /${code}`);
    setReload((n) => n + 1);
  };

  return (
    <>
      <div class="row">
        <h1>Your links</h1>
      </div>
      <CreateLink onCreated={created} />
      {notice ? <div class="notice" role="status">{notice}</div> : null}
      <form class="row" role="search" onSubmit={onSearch}>
        <label for="q" class="skip">Search links</label>
        <input id="q" type="search" placeholder="Search destination or title" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <label for="sort" class="skip">Sort</label>
        <select id="sort" value={params.sort ?? ''} class="auto"
          onChange={(e) => go({ ...params, sort: e.currentTarget.value || undefined, cursor: undefined })}>
          <option value="">Newest first</option>
          <option value="clicks">Most clicks</option>
        </select>
        <button type="submit">Search</button>
        <button type="button" class="secondary" onClick={() => void download(api.linksCsvPath(params), 'links.csv')}>
          Export CSV
        </button>
      </form>
      {params.tag ? (
        <p>
          Tag <span class="chip">{params.tag}</span>{' '}
          <button type="button" class="link" onClick={() => go({ ...params, tag: undefined, cursor: undefined })}>
            show all tags
          </button>
        </p>
      ) : null}
      {error ? <div class="alert" role="alert">{error}</div> : null}
      {page ? (
        page.items.length ? (
          <table class="links" aria-label="Links">
            <thead>
              <tr>
                <th>Link</th>
                <th class="num">Clicks</th>
                <th class="created">Created</th>
                <th><span class="skip">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((l) => (
                <tr key={l.short_code} data-code={l.short_code}>
                  <td>
                    <a href={`/app/links/${encodeURIComponent(l.short_code)}`}>/{l.short_code}</a>
                    {l.title ? <> · {l.title}</> : null}
                    <div class="dest">{l.original_url}</div>
                    {(l.tags ?? []).map((t) => (
                      <button type="button" class="chip" key={t} aria-label={`Filter by tag ${t}`}
                        onClick={() => go({ ...params, tag: t, cursor: undefined })}>
                        {t}
                      </button>
                    ))}
                  </td>
                  <td class="num" data-testid="clicks">{formatNumber(l.clicks)}</td>
                  <td class="created muted">{formatDate(l.created_at)}</td>
                  <td>
                    <ConfirmDelete code={l.short_code} onDeleted={deleted} compact />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">{params.q || params.tag ? 'No links match.' : 'No links yet: create one above.'}</p>
        )
      ) : error ? null : (
        <p class="muted" aria-busy="true">Loading…</p>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={trail.length === 0 && !params.cursor}
          onClick={() => {
            const prev = trail[trail.length - 1];
            setTrail(trail.slice(0, -1));
            go({ ...params, cursor: prev }, true);
          }}>
          ← Previous
        </button>
        <button type="button" class="secondary" disabled={!page?.next_cursor}
          onClick={() => {
            setTrail([...trail, params.cursor ?? '']);
            go({ ...params, cursor: page?.next_cursor ?? undefined }, true);
          }}>
          Next →
        </button>
      </nav>
    </>
  );
}
