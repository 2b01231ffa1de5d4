import { useEffect, useId, useRef, type ReactNode } from 'react';
import { messageOf } from '../api/errors';
import { onLinkClick } from '../lib/router';

/** An error as a sentence, announced to screen readers; never raw JSON. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {messageOf(error)}
    </p>
  );
}

export function Link({ href, children, className, onClick, ...rest }: { href: string; children: ReactNode; className?: string } & React.AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a href={href} className={className} {...rest} onClick={(e) => {
      onClick?.(e);
      onLinkClick(e);
    }}>
      {children}
    </a>
  );
}

/** A modal dialog on the native <dialog>: focus moves in and back, Escape closes it. */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal?.();
    if (!open && dialog.open) dialog.close?.();
  }, [open]);
  if (!open) return null;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </div>
      {children}
    </dialog>
  );
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const percent = max > 0 ? Math.round((value / max) * 100) : 100;
  return (
    <progress className="progress" value={max > 0 ? value : 1} max={max > 0 ? max : 1} aria-label={label} title={`${percent}%`}>
      {percent}%
    </progress>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}
