/** A tiny History API router for /app: links under /app change the view without a page load. */
import { useEffect, useState } from 'preact/hooks';

/** Goes to `path`; `flash` is a message for the next view (read once with takeFlash()). */
export function navigate(path: string, flash?: string): void {
  if (path === location.pathname + location.search && !flash) return;
  history.pushState(flash ? { flash } : null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The message the last navigation carried, removed from the history entry so a reload does not repeat it. */
export function takeFlash(): string | undefined {
  const flash = (history.state as { flash?: string } | null)?.flash;
  if (flash) history.replaceState(null, '');
  return flash;
}

/** The current path and query, re-rendered on every navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: location.pathname, search: new URLSearchParams(location.search) });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const onPop = () => {
      setLoc(read());
      window.scrollTo(0, 0);
    };
    // Plain left clicks on same-origin /app links become navigations; anything else (new tab, ...) is left alone.
    const onClick = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest('a');
      if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
      if (a.pathname !== '/app' && !a.pathname.startsWith('/app/')) return;
      e.preventDefault();
      navigate(a.pathname + a.search);
    };
    addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    return () => {
      removeEventListener('popstate', onPop);
      document.removeEventListener('click', onClick);
    };
  }, []);
  return loc;
}
