import { useEffect, useState } from 'react';
import { files, vaults } from '../api/dupa';
import { ApiError } from '../api/errors';
import type { SearchHit } from '../api/types';
import { ErrorMessage, Link } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { parentOf } from '../lib/paths';
import { filesHref, navigate } from '../lib/router';

/** Search as you type, over names, types, dates, sizes and tags (the node's search endpoint). */
export function SearchPage({ vault, initial }: { vault: string; initial: string }) {
  const [q, setQ] = useState(initial);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const vaultList = useLoad(() => vaults.list(), [vault]);
  const name = vaultList.data?.find((v) => v.id === vault)?.name ?? 'Vault';

  useEffect(() => {
    navigate(`/v/${vault}/search${q ? `?q=${encodeURIComponent(q)}` : ''}`, true);
    if (!q.trim()) {
      setHits(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      files.search(vault, q, controller.signal)
        .then((result) => {
          setHits(Array.isArray(result) ? result : result.results);
          setError(null);
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e);
        });
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q, vault]);

  const unavailable = error instanceof ApiError && (error.status === 404 || error.status === 405) && error.code !== 'vault_locked';
  return (
    <section aria-labelledby="search-title">
      <nav aria-label="Breadcrumbs" className="crumbs">
        <ol>
          <li><Link href="/">Vaults</Link></li>
          <li><Link href={filesHref(vault, '/')}>{name}</Link></li>
          <li><span aria-current="page">Search</span></li>
        </ol>
      </nav>
      <h1 id="search-title">Search {name}</h1>
      <label>
        Search by name, type (type:image), date (after:2024-01-01), size (size&gt;10MB) or tag (#holiday)
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} autoFocus />
      </label>
      {unavailable ? <p className="notice">Search is not available on this node yet.</p> : <ErrorMessage error={error} />}
      {hits && hits.length === 0 ? <p className="muted">No matches.</p> : null}
      {hits && hits.length > 0 ? (
        <ul className="plain results" aria-label="Results">
          {hits.map((hit) => (
            <li key={hit.path} className="row">
              <span>
                <Link href={filesHref(vault, hit.type === 'dir' ? hit.path : parentOf(hit.path))}>{hit.path}</Link>
                <span className="muted"> · {hit.type === 'dir' ? 'folder' : formatBytes(hit.size)} · {formatDate(hit.modified)}</span>
              </span>
              <Tags vault={vault} path={hit.path} tags={hit.tags ?? []} />
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** Tags edited in place: type and press Enter to add, the × to remove. */
function Tags({ vault, path, tags: initial }: { vault: string; path: string; tags: string[] }) {
  const [tags, setTags] = useState(initial);
  const [draft, setDraft] = useState('');
  const action = useAction();
  const save = (next: string[]) => void action.run(() => files.setTags(vault, path, next)).then(() => setTags(next));
  return (
    <span className="tags">
      {tags.map((t) => (
        <span key={t} className="tag">
          #{t}
          <button type="button" className="icon" aria-label={`Remove tag ${t} from ${path}`} onClick={() => save(tags.filter((x) => x !== t))}>×</button>
        </span>
      ))}
      <input className="tag-input" value={draft} placeholder="add tag" aria-label={`Add a tag to ${path}`} onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && draft.trim()) {
            e.preventDefault();
            save([...new Set([...tags, draft.trim().replace(/^#/, '')])]);
            setDraft('');
          }
        }} />
      <ErrorMessage error={action.error} />
    </span>
  );
}
