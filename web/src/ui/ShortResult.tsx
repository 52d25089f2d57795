/** A short link as a result: the link, a copy button and its QR code (fetched from the API with the key). */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/client';
import type { Link } from '../lib/types';

export function useQr(code: string, size = 240): string | undefined {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let url: string | undefined;
    let live = true;
    api
      .blob(api.qrPath(code, size))
      .then((blob) => {
        if (!live) return;
        url = URL.createObjectURL(blob);
        setSrc(url);
      })
      .catch(() => setSrc(undefined));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [code, size]);
  return src;
}

export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('done');
    } catch {
      // No clipboard permission (an embedded or headless browser): the link stays selectable on screen.
      setCopied('failed');
    }
  };
  return (
    <button type="button" class="secondary" onClick={copy} aria-live="polite">
      {copied === 'done' ? 'Copied' : copied === 'failed' ? 'Select and copy' : 'Copy'}
    </button>
  );
}

export function ShortResult({ link }: { link: Link }) {
  const qr = useQr(link.short_code);
  return (
    <section class="card result" aria-label="Your short link">
      <div>
        <div class="muted">Your short link</div>
        <a class="short" href={link.short_url} data-testid="short-link">
          {link.short_url}
        </a>
        <div class="muted dest">→ {link.original_url}</div>
        <div class="actions">
          <CopyButton text={link.short_url} />
          <a class="button secondary" href={`/app/links/${encodeURIComponent(link.short_code)}`}>
            Analytics
          </a>
        </div>
      </div>
      {qr ? <img class="qr" src={qr} alt={`QR code for ${link.short_url}`} width={160} height={160} /> : null}
    </section>
  );
}
