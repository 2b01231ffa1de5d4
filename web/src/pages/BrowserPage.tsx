import { useEffect, useRef, useState } from 'react';
import { download as downloadTo, downloadZip, files, sharing, vaults } from '../api/dupa';
import { ApiError } from '../api/errors';
import type { Entry, Listing } from '../api/types';
import { uploads } from '../api/upload';
import { Dialog, ErrorMessage, Link, Spinner } from '../components/common';
import { FileList } from '../components/FileList';
import { Preview } from '../components/Preview';
import { UnlockForm } from '../components/UnlockForm';
import { UploadTray } from '../components/UploadTray';
import { VersionsPanel } from '../components/VersionsPanel';
import { filesFromDrop, filesFromInput } from '../lib/dropped';
import { formatBytes, formatDate, toLocalInput } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { baseName, crumbs, joinPath, parentOf } from '../lib/paths';
import { canManage, canWrite } from '../lib/roles';
import { filesHref, navigate } from '../lib/router';
import type { SortOrder } from '../lib/sort';

function loadPrefs(): { order: SortOrder; view: 'list' | 'grid' } {
  try {
    const saved = JSON.parse(localStorage.getItem('dupa.browser') ?? '{}') as { order?: SortOrder; view?: 'list' | 'grid' };
    return { order: saved.order ?? { key: 'name', descending: false }, view: saved.view ?? 'list' };
  } catch {
    return { order: { key: 'name', descending: false }, view: 'list' };
  }
}

export function BrowserPage({ vault, path, at }: { vault: string; path: string; at: string | null }) {
  const listing = useLoad(() => files.tree(vault, path, at ?? undefined), [vault, path, at]);
  const vaultList = useLoad(() => vaults.list(), [vault]);
  const vaultName = vaultList.data?.find((v) => v.id === vault)?.name ?? 'Vault';
  const [prefs, setPrefs] = useState(loadPrefs);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<Entry | null>(null);
  const [tab, setTab] = useState<'preview' | 'versions'>('preview');
  const [moving, setMoving] = useState<string[] | null>(null);
  const [target, setTarget] = useState('');
  const [dragging, setDragging] = useState(false);
  const [atInput, setAtInput] = useState(at ? toLocalInput(new Date(at)) : toLocalInput(new Date()));
  const action = useAction();
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const pastView = at !== null;
  // The past is read-only, and so is a vault shared with you as a viewer (the node refuses writes with 403 anyway).
  // Until the role is known, nothing that writes is offered.
  const role = vaultList.data?.find((v) => v.id === vault)?.role;
  const readOnly = pastView || !canWrite(role);
  const canShare = !pastView && canManage(role);
  const [linkUrl, setLinkUrl] = useState<string | null>(null);
  const makeLink = async (entry: Entry) => {
    const made = await action.run(() => sharing.createLink(vault, { path: entry.path, kind: 'read' }));
    if (made) setLinkUrl(`${window.location.origin}${made.url}`);
  };

  useEffect(() => localStorage.setItem('dupa.browser', JSON.stringify(prefs)), [prefs]);
  useEffect(() => setSelected(new Set()), [vault, path, at]);
  // Reload when uploads into this vault finish.
  useEffect(() => {
    let pending = uploads.items.filter((i) => i.vault === vault && i.status === 'done').length;
    return uploads.subscribe(() => {
      const done = uploads.items.filter((i) => i.vault === vault && i.status === 'done').length;
      if (done > pending) listing.reload();
      pending = done;
    });
  }, [vault, listing.reload]);

  const data = listing.data;
  // A path that is a file (a shared link to it): show its folder.
  useEffect(() => {
    if (data && !('entries' in data)) navigate(filesHref(vault, parentOf(path), at), true);
  }, [data, vault, path, at]);
  if (listing.error instanceof ApiError && listing.error.code === 'vault_locked') {
    return (
      <section>
        <h1>{vaultName}</h1>
        <p>This vault is locked.</p>
        <UnlockForm vault={vault} name={vaultName} onUnlocked={listing.reload} />
      </section>
    );
  }
  const entries = data && 'entries' in data ? (data as Listing).entries : [];
  const selectedEntries = entries.filter((e) => selected.has(e.path));

  const openEntry = (entry: Entry) => {
    if (entry.type === 'dir') navigate(filesHref(vault, entry.path, at));
    else {
      setTab('preview');
      setOpen(entry);
    }
  };

  const startUpload = (list: { file: Blob; relativePath: string }[]) => {
    if (list.length > 0) uploads.add(vault, path, list);
  };

  const download = (entry: Entry) =>
    action.run(async () => {
      await downloadTo(vault, entry.path, { at: at ?? undefined, archive: entry.type === 'dir' });
    });

  // Several items: one zip, so the browser does not ask about (or block) a download per file.
  const downloadSelection = () =>
    selectedEntries.length === 1 ? download(selectedEntries[0])
      : action.run(() => downloadZip(vault, selectedEntries.map((e) => e.path), { at: at ?? undefined }));

  const remove = async (paths: string[]) => {
    if (paths.length === 0) return;
    const what = paths.length === 1 ? `"${baseName(paths[0])}"` : `${paths.length} items`;
    if (!window.confirm(`Move ${what} to the trash?`)) return;
    await action.run(async () => {
      for (const p of paths) await files.remove(vault, p);
    });
    setSelected(new Set());
    setOpen(null);
    listing.reload();
  };

  const submitMove = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!moving) return;
    const ok = await action.run(async () => {
      if (moving.length === 1) {
        // One item: the target is its new full path (rename, move, or both).
        await files.move(vault, moving[0], target.startsWith('/') ? target : joinPath(parentOf(moving[0]), target));
      } else {
        for (const p of moving) await files.move(vault, p, joinPath(target, baseName(p)));
      }
      return true;
    });
    if (ok) {
      setMoving(null);
      setOpen(null);
      setSelected(new Set());
      listing.reload();
    }
  };

  const onDrop = async (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (readOnly) return;
    startUpload(await filesFromDrop(e.dataTransfer));
  };

  return (
    <section className={dragging ? 'browser dragging' : 'browser'} aria-labelledby="browser-title"
      onDragOver={(e) => {
        if (readOnly || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => void onDrop(e)}>
      <div className="browser-head">
        <h1 id="browser-title" className="sr-only">{vaultName}: {path}</h1>
        <nav aria-label="Breadcrumbs" className="crumbs">
          <ol>
            <li><Link href="/">Vaults</Link></li>
            {crumbs(path).map((c, i, all) => (
              <li key={c.path}>
                {i === all.length - 1 ? <span aria-current="page">{i === 0 ? vaultName : c.name}</span>
                  : <Link href={filesHref(vault, c.path, at)}>{i === 0 ? vaultName : c.name}</Link>}
              </li>
            ))}
          </ol>
        </nav>
        <div className="toolbar" role="toolbar" aria-label="Folder actions">
          {!readOnly ? (
            <>
              <button type="button" onClick={() => fileInput.current?.click()}>Upload files</button>
              <button type="button" className="secondary" onClick={() => folderInput.current?.click()}>Upload folder</button>
              <input ref={fileInput} type="file" multiple hidden aria-label="Files to upload"
                onChange={(e) => { startUpload(filesFromInput(e.target.files)); e.target.value = ''; }} />
              <input ref={folderInput} type="file" multiple hidden aria-label="Folder to upload" {...{ webkitdirectory: '' }}
                onChange={(e) => { startUpload(filesFromInput(e.target.files)); e.target.value = ''; }} />
            </>
          ) : null}
          <button type="button" className="secondary" onClick={() => void download({ name: baseName(path) || vaultName, path, type: 'dir' } as Entry)}>
            Download folder
          </button>
          <label className="inline">
            View
            <select value={prefs.view} onChange={(e) => setPrefs({ ...prefs, view: e.target.value as 'list' | 'grid' })}>
              <option value="list">List</option>
              <option value="grid">Grid</option>
            </select>
          </label>
          <label className="inline">
            Sort by
            <select value={`${prefs.order.key}:${prefs.order.descending ? 'desc' : 'asc'}`}
              onChange={(e) => {
                const [key, dir] = e.target.value.split(':');
                setPrefs({ ...prefs, order: { key: key as SortOrder['key'], descending: dir === 'desc' } });
              }}>
              <option value="name:asc">Name (A–Z)</option>
              <option value="name:desc">Name (Z–A)</option>
              <option value="modified:desc">Newest first</option>
              <option value="modified:asc">Oldest first</option>
              <option value="size:desc">Largest first</option>
              <option value="size:asc">Smallest first</option>
              <option value="type:asc">Type</option>
            </select>
          </label>
          <Link className="button secondary" href={`/v/${vault}/search`}>Search</Link>
          <Link className="button secondary" href={`/v/${vault}/trash`}>Trash</Link>
        </div>
        <details className="timetravel" open={pastView}>
          <summary>Time travel: this folder at an earlier time</summary>
          <form aria-label="Time travel"
            onSubmit={(e) => {
              e.preventDefault();
              navigate(filesHref(vault, path, new Date(atInput).toISOString()));
            }}>
            <label className="inline">
              Show as of
              <input type="datetime-local" step="1" value={atInput} onChange={(e) => setAtInput(e.target.value)} required />
            </label>
            <button type="submit" className="secondary">Go</button>
            {pastView ? <Link className="button" href={filesHref(vault, path)}>Back to now</Link> : null}
          </form>
        </details>
        {pastView ? <p className="notice" role="status">Showing this folder as it was on {formatDate(at!)}. Read-only.</p> : null}
      </div>

      <UploadTray />
      <ErrorMessage error={action.error ?? (listing.error as unknown)} />

      {selected.size > 0 ? (
        <div className="selection" role="region" aria-label="Selection">
          <span>{selected.size} selected</span>
          <button type="button" className="secondary" onClick={() => void downloadSelection()}>
            {selectedEntries.length > 1 ? 'Download as zip' : 'Download'}
          </button>
          {!readOnly ? (
            <>
              <button type="button" className="secondary" onClick={() => { setTarget(path); setMoving([...selected]); }}>Move</button>
              <button type="button" className="danger" onClick={() => void remove([...selected])}>Delete</button>
            </>
          ) : null}
          <button type="button" className="secondary" onClick={() => setSelected(new Set())}>Clear selection</button>
        </div>
      ) : null}

      {listing.loading && !data ? <Spinner /> : null}
      {data ? (
        <FileList vault={vault} entries={entries} order={prefs.order} onOrder={(order) => setPrefs({ ...prefs, order })} view={prefs.view}
          selected={selected} onSelect={setSelected} onOpen={openEntry} at={at}
          onDelete={readOnly ? undefined : (paths) => void remove(paths)} canUpload={!readOnly}
          onUp={path === '/' ? undefined : () => navigate(filesHref(vault, parentOf(path), at))} />
      ) : null}
      {dragging ? <div className="dropzone" aria-hidden="true">Drop files or folders to upload them here</div> : null}

      <Dialog title={open?.name ?? ''} open={open !== null} onClose={() => { setOpen(null); setLinkUrl(null); }}>
        {open ? (
          <div className="file-panel">
            <p className="muted">{formatBytes(open.size)} · modified {formatDate(open.modified)} · {open.versions} version{open.versions === 1 ? '' : 's'}</p>
            <div className="actions">
              <button type="button" onClick={() => void download(open)}>Download</button>
              {!readOnly ? (
                <>
                  <button type="button" className="secondary" onClick={() => { setTarget(open.path); setMoving([open.path]); }}>Rename or move</button>
                  <button type="button" className="danger" onClick={() => void remove([open.path])}>Delete</button>
                </>
              ) : null}
              {canShare ? <button type="button" className="secondary" disabled={action.busy} onClick={() => void makeLink(open)}>Make a link</button> : null}
            </div>
            {linkUrl ? (
              <div className="card">
                <p>Anyone with this link can download {open.name}; it is shown only now. Manage it in the vault's Sharing dialog.</p>
                <pre className="secret" aria-label="New link">{linkUrl}</pre>
                <button type="button" onClick={() => void navigator.clipboard?.writeText(linkUrl)}>Copy link</button>
              </div>
            ) : null}
            <ErrorMessage error={action.error} />
            <div role="tablist" aria-label="File details" className="tabs">
              <button type="button" role="tab" aria-selected={tab === 'preview'} onClick={() => setTab('preview')}>Preview</button>
              <button type="button" role="tab" aria-selected={tab === 'versions'} onClick={() => setTab('versions')}>Versions</button>
            </div>
            <div role="tabpanel">
              {tab === 'preview' ? <Preview vault={vault} entry={open} at={at} />
                : <VersionsPanel vault={vault} entry={open} readOnly={readOnly} onRestored={() => {
                  listing.reload();
                  void files.tree(vault, open.path).then((fresh) => 'entries' in fresh || setOpen(fresh));
                }} />}
            </div>
          </div>
        ) : null}
      </Dialog>

      <Dialog title={moving && moving.length > 1 ? `Move ${moving.length} items` : 'Rename or move'} open={moving !== null} onClose={() => setMoving(null)}>
        <form onSubmit={(e) => void submitMove(e)}>
          <label>
            {moving && moving.length > 1 ? 'Destination folder' : 'New path (or just a new name)'}
            <input value={target} onChange={(e) => setTarget(e.target.value)} required autoFocus />
          </label>
          <ErrorMessage error={action.error} />
          <div className="actions">
            <button type="submit" disabled={action.busy}>Move</button>
            <button type="button" className="secondary" onClick={() => setMoving(null)}>Cancel</button>
          </div>
        </form>
      </Dialog>
    </section>
  );
}
