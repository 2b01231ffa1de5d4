import { useEffect, useState } from 'react';
import { files, vaults } from '../api/dupa';
import type { SearchHit } from '../api/types';
import { ErrorMessage, Link } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { parentOf } from '../lib/paths';
import { canWrite } from '../lib/roles';
import { isEmptySearch, parseSearch, searchQueryString } from '../lib/searchQuery';
import { filesHref, navigate } from '../lib/router';

/** Search as you type, over names, types, dates, sizes and tags (the node's search endpoint). */
export function SearchPage({ vault, initial }: { vault: string; initial: string }) {
  const [q, setQ] = useState(initial);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const vaultList = useLoad(() => vaults.list(), [vault]);
  const shown = vaultList.data?.find((v) => v.id === vault);
  const name = shown?.name ?? 'Vault';
  // Tags are changes to the vault: an editor and up may make them; a viewer sees them.
  const editable = canWrite(shown?.role);

  useEffect(() => {
    navigate(`/v/${vault}/search${q ? `?q=${encodeURIComponent(q)}` : ''}`, true);
    const params = parseSearch(q);
    if (isEmptySearch(params)) {
      setHits(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      files.search(vault, searchQueryString(params), controller.signal)
        .then((result) => {
          setHits(result.hits);
          setTotal(result.total);
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
        Search by name (words or *.jpg), type (type:image), date (after:2024-01-01, before:…), size (size&gt;10MB) or tag (#holiday); in:trash and in:history widen it
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} autoFocus />
      </label>
      <ErrorMessage error={error} />
      {hits && hits.length === 0 ? <p className="muted">No matches.</p> : null}
      {hits && hits.length > 0 ? (
        <>
          <p className="muted" aria-live="polite">{total === hits.length ? `${total} found` : `${hits.length} of ${total} shown`}</p>
          <ul className="plain results" aria-label="Results">
            {hits.map((hit) => (
              <li key={`${hit.path}#${hit.versionId}#${hit.source}`} className="row">
                <span>
                  <Link href={filesHref(vault, hit.type === 'dir' ? hit.path : parentOf(hit.path))}>{hit.path}</Link>
                  <span className="muted">
                    {' '}· {hit.type === 'dir' ? 'folder' : formatBytes(hit.size)} · {formatDate(hit.modified)}
                    {hit.mime ? ` · ${hit.mime}` : ''}
                    {hit.source === 'oldversion' ? ` · version ${hit.version}` : hit.source === 'trash' ? ' · in the trash' : ''}
                  </span>
                </span>
                {hit.source === 'current' && editable ? <Tags vault={vault} path={hit.path} tags={hit.tags} /> : null}
                {hit.source === 'current' && !editable && hit.tags.length > 0 ? (
                  <span className="tags">{hit.tags.map((t) => <span key={t} className="tag">#{t}</span>)}</span>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** Tags edited in place: type and press Enter to add, the × to remove. */
function Tags({ vault, path, tags: initial }: { vault: string; path: string; tags: string[] }) {
  const [tags, setTags] = useState(initial);
  const [draft, setDraft] = useState('');
  const action = useAction();
  const save = (next: string[]) => {
    const add = next.filter((t) => !tags.includes(t));
    const remove = tags.filter((t) => !next.includes(t));
    void action.run(() => files.changeTags(vault, path, add, remove)).then((saved) => {
      if (saved) setTags(saved.tags);
    });
  };
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
