/** Delete in two steps (no modal dialog): the first press asks, the second deletes; Escape or Cancel backs out. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/client';

interface Props {
  code: string;
  onDeleted: (code: string) => void;
  compact?: boolean;
}

export function ConfirmDelete({ code, onDeleted, compact }: Props) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string>();
  const confirm = useRef<HTMLButtonElement>(null);
  // The question takes the focus, so a keyboard user answers it next (autofocus works only at page load).
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  const remove = async () => {
    try {
      await api.remove(code);
      onDeleted(code);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Delete failed');
    }
  };
  if (!asking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)} aria-label={`Delete /${code}`}>
        Delete
      </button>
    );
  }
  return (
    <span class="row" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      {compact ? null : <span>Delete /{code} for good?</span>}
      <button type="button" class="danger" onClick={() => void remove()} ref={confirm} aria-label={`Confirm delete /${code}`}>
        Confirm delete
      </button>
      <button type="button" class="link" onClick={() => setAsking(false)}>
        Cancel
      </button>
      {error ? <span class="alert" role="alert">{error}</span> : null}
    </span>
  );
}
