import { download, files } from '../api/dupa';
import type { Entry } from '../api/types';
import { ErrorMessage, Spinner } from './common';
import { formatBytes, formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';

/** Every kept version of a file, newest first: download any, or make an old one the newest again. */
export function VersionsPanel({ vault, entry, onRestored, readOnly }: { vault: string; entry: Entry; onRestored: () => void; readOnly?: boolean }) {
  const list = useLoad(() => files.versions(vault, entry.path), [vault, entry.path, entry.version]);
  const action = useAction();
  if (list.error) return <ErrorMessage error={list.error} />;
  if (!list.data) return <Spinner />;
  const newest = list.data.length;
  return (
    <div>
      <ErrorMessage error={action.error} />
      <ol className="versions" aria-label="Versions" reversed>
        {[...list.data].reverse().map((v) => (
          <li key={v.version} className="version">
            <div>
              <strong>Version {v.version}</strong>
              {v.version === newest ? <span className="badge ok">current</span> : null}
              <div className="muted">
                stored {formatDate(v.stored)} · {formatBytes(v.size)} · device {v.device}
              </div>
            </div>
            <div className="actions">
              <button type="button" className="secondary" aria-label={`Download version ${v.version}`}
                onClick={() => void action.run(() => download(vault, entry.path, { version: v.version }))}>
                Download
              </button>
              {v.version !== newest && !readOnly ? (
                <button type="button" aria-label={`Restore version ${v.version}`} disabled={action.busy}
                  onClick={() => void action.run(async () => {
                    await files.restoreVersion(vault, entry.path, v.version);
                    list.reload();
                    onRestored();
                  })}>
                  Restore
                </button>
              ) : null}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
