import { useCallback, useEffect, useState } from 'react';
import { encodePath } from '../api/client';
import { ApiError, errorFromResponse, messageOf } from '../api/errors';
import type { LinkEntry, LinkInfo } from '../api/types';
import { ErrorMessage, Spinner } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';

/** What a visitor is told for each way a link can fail; the node answers them all as problem+json. */
function linkMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 404) return 'This link does not exist, or it has expired or been revoked.';
    if (error.code === 'link_target_trashed') return 'What this link points to has been moved to the trash. Ask whoever sent the link.';
    if (error.status === 410) return 'This link has been used as many times as it allows.';
    if (error.code === 'vault_locked') return 'The files behind this link are locked on the node right now. Ask whoever sent it.';
  }
  return messageOf(error);
}

/**
 * The page behind a public link (/s/SECRET), for visitors without an account: a file to preview and download, a
 * folder to browse and download as a zip, or an upload box for a file drop. The secret never leaves this page
 * except to the node's /api/v1/links routes.
 */
export function LinkPage({ secret }: { secret: string }) {
  const base = `/api/v1/links/${encodeURIComponent(secret)}`;
  const [access, setAccess] = useState<string | null>(null);
  const [info, setInfo] = useState<LinkInfo | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [needsPassword, setNeedsPassword] = useState(false);

  const get = useCallback(async <T,>(url: string): Promise<T> => {
    const response = await fetch(url, { headers: access ? { 'X-Dupa-Link-Access': access } : {} });
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as T;
  }, [access]);

  useEffect(() => {
    document.title = 'Shared with you · D.U.P.A';
    get<LinkInfo>(base).then((i) => {
      setInfo(i);
      setNeedsPassword(false);
      setError(null);
    }).catch((e: unknown) => {
      if (e instanceof ApiError && e.code === 'password_required') setNeedsPassword(true);
      else setError(e);
    });
  }, [base, get]);

  const withAccess = (url: string, extra = '') => {
    const params = [extra, access ? `access=${encodeURIComponent(access)}` : ''].filter(Boolean).join('&');
    return params ? `${url}?${params}` : url;
  };

  return (
    <main id="main" className="link-page">
      <header className="link-head"><span className="brand">D.U.P.A</span></header>
      {needsPassword && !info ? <PasswordForm base={base} onAccess={setAccess} /> : null}
      {error ? <p className="error" role="alert">{linkMessage(error)}</p> : null}
      {!info && !error && !needsPassword ? <Spinner /> : null}
      {info?.kind === 'drop' ? <DropBox base={base} access={access} name={info.name} /> : null}
      {info?.kind === 'read' && info.type === 'file' ? (
        <section className="card" aria-labelledby="link-title">
          <h1 id="link-title">{info.name}</h1>
          <p className="muted">{formatBytes(info.size ?? 0)}{info.expiresAt ? ` · available until ${formatDate(info.expiresAt)}` : ''}
            {info.usesLeft !== null ? ` · ${info.usesLeft} download${info.usesLeft === 1 ? '' : 's'} left` : ''}</p>
          {/* A preview counts as a use, so it is shown only when the link has no use limit. */}
          {info.mime?.startsWith('image/') && info.mime !== 'image/svg+xml' && info.usesLeft === null ? (
            <img className="link-preview" src={withAccess(`${base}/files/`, 'inline=1')} alt={`Preview of ${info.name}`} />
          ) : null}
          <div className="actions">
            <a className="button" href={withAccess(`${base}/files/`)} download={info.name}>Download</a>
          </div>
        </section>
      ) : null}
      {info?.kind === 'read' && info.type === 'dir' ? <FolderView base={base} name={info.name} get={get} withAccess={withAccess} /> : null}
      <p className="muted small">Shared through a self-hosted D.U.P.A node. The link is the key: do not pass it on.</p>
    </main>
  );
}

function PasswordForm({ base, onAccess }: { base: string; onAccess: (token: string) => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(`${base}/access`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password }) });
      if (!response.ok) throw await errorFromResponse(response);
      onAccess(((await response.json()) as { access: string }).access);
    } catch (caught) {
      setError(caught instanceof ApiError && caught.code === 'wrong_password' ? new Error('That is not the link\'s password.') : new Error(linkMessage(caught)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card narrow" onSubmit={submit}>
      <h1>This link has a password</h1>
      <label>
        Link password
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="off" />
      </label>
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy}>Open</button>
    </form>
  );
}

function FolderView({ base, name, get, withAccess }: {
  base: string; name: string; get: <T>(url: string) => Promise<T>; withAccess: (url: string, extra?: string) => string;
}) {
  const [dir, setDir] = useState('/');
  const [entries, setEntries] = useState<LinkEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setEntries(null);
    get<{ path: string; entries: LinkEntry[] }>(`${base}/tree/${encodePath(dir)}`).then((l) => setEntries(l.entries)).catch(setError);
  }, [base, dir, get]);
  const parent = dir === '/' ? null : dir.slice(0, dir.lastIndexOf('/')) || '/';
  return (
    <section className="card" aria-labelledby="link-title">
      <h1 id="link-title">{name}{dir === '/' ? '' : dir}</h1>
      <div className="actions">
        <a className="button" href={withAccess(`${base}/zip/${encodePath(dir)}`)}>Download all (zip)</a>
        {parent !== null ? <button type="button" className="secondary" onClick={() => setDir(parent)}>Up</button> : null}
      </div>
      {error ? <p className="error" role="alert">{linkMessage(error)}</p> : null}
      {entries === null && !error ? <Spinner /> : null}
      <ul className="link-list" aria-label="Files">
        {entries?.map((e) => (
          <li key={e.path}>
            {e.type === 'dir' ? (
              <button type="button" className="linkish" onClick={() => setDir(e.path)}>📁 {e.name}</button>
            ) : (
              <>
                <span className="name">{e.name}</span>
                <span className="muted">{formatBytes(e.size)}</span>
                <a href={withAccess(`${base}/files/${encodePath(e.path)}`)} download={e.name} aria-label={`Download ${e.name}`}>Download</a>
              </>
            )}
          </li>
        ))}
        {entries?.length === 0 ? <li className="muted">This folder is empty.</li> : null}
      </ul>
    </section>
  );
}

function DropBox({ base, access, name }: { base: string; access: string | null; name: string }) {
  const [files, setFiles] = useState<File[]>([]);
  const [sent, setSent] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    if (files.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      files.forEach((f) => form.append('files', f, f.name));
      const response = await fetch(`${base}/upload`, { method: 'POST', body: form, headers: access ? { 'X-Dupa-Link-Access': access } : {} });
      if (!response.ok) throw await errorFromResponse(response);
      const body = (await response.json()) as { stored: string[] };
      setSent((s) => [...s, ...body.stored]);
      setFiles([]);
    } catch (caught) {
      setError(new Error(linkMessage(caught)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={send} aria-labelledby="drop-title">
      <h1 id="drop-title">Send files to {name}</h1>
      <p className="muted">Files you send here go to the owner. You will not see the other files in this folder.</p>
      <label className="drop-zone">
        Files to send
        <input type="file" multiple onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
      </label>
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy || files.length === 0}>{busy ? 'Sending…' : `Send ${files.length || ''} file${files.length === 1 ? '' : 's'}`}</button>
      {sent.length > 0 ? (
        <p role="status">Sent: {sent.join(', ')}</p>
      ) : null}
    </form>
  );
}
