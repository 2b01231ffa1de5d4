import { useEffect, useReducer } from 'react';
import { uploads, type UploadItem, type UploadQueue } from '../api/upload';
import { Progress } from './common';
import { formatBytes } from '../lib/format';

/** The running uploads: a bar for all of them and one per file, each cancellable. */
export function UploadTray({ queue = uploads }: { queue?: UploadQueue }) {
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  useEffect(() => queue.subscribe(redraw), [queue]);
  if (queue.items.length === 0) return null;
  const totals = queue.totals;
  const busy = queue.busy;
  return (
    <section className="card uploads" aria-labelledby="uploads-title">
      <div className="uploads-head">
        <h2 id="uploads-title">
          {busy ? 'Uploading' : 'Uploads'} · {totals.done} of {totals.count} done{totals.failed ? `, ${totals.failed} failed` : ''}
        </h2>
        {!busy ? <button type="button" className="secondary" onClick={() => queue.clearFinished()}>Clear</button> : null}
      </div>
      <Progress value={totals.sent} max={totals.size} label="All uploads" />
      <p className="muted" aria-live="polite">{formatBytes(totals.sent)} of {formatBytes(totals.size)}</p>
      <ul className="upload-list">
        {queue.items.map((item) => (
          <li key={item.id} className={`upload ${item.status}`}>
            <span className="upload-name" title={item.path}>{item.path}</span>
            <Progress value={item.sent} max={item.size} label={`Upload of ${item.path}`} />
            <span className="upload-status">
              {item.status === 'failed' ? <span role="alert">{item.error}</span> : statusText(item)}
            </span>
            {item.status === 'queued' || item.status === 'uploading' ? (
              <button type="button" className="icon" aria-label={`Cancel upload of ${item.path}`} onClick={() => queue.cancel(item.id)}>✕</button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

function statusText({ status, resumable, resumedFrom, size }: UploadItem): string {
  // Kept after the upload finishes, so that it is clear the earlier bytes were not sent twice.
  const resumed = resumedFrom ? `resum${status === 'uploading' ? 'ing' : 'ed'} at ${Math.floor((resumedFrom / size) * 100)}%` : null;
  switch (status) {
    case 'queued':
      return 'waiting';
    case 'uploading':
      return resumed ?? (resumable ? 'uploading (resumable)' : 'uploading');
    case 'done':
      return resumed ? `done, ${resumed}` : 'done';
    case 'cancelled':
      return 'cancelled';
    default:
      return status;
  }
}
