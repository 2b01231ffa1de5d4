import { useRef } from 'react';
import type { Entry } from '../api/types';
import { formatBytes, formatDate } from '../lib/format';
import { nextOrder, sortEntries, type SortKey, type SortOrder } from '../lib/sort';
import { Thumbnail } from './Thumbnail';

export interface FileListProps {
  vault: string;
  entries: Entry[];
  order: SortOrder;
  onOrder: (order: SortOrder) => void;
  view: 'list' | 'grid';
  selected: ReadonlySet<string>;
  onSelect: (paths: Set<string>) => void;
  onOpen: (entry: Entry) => void;
  onDelete?: (paths: string[]) => void;
  onUp?: () => void;
  at?: string | null;
  /** Whether the empty folder may invite an upload (not in the past, not for a viewer). */
  canUpload?: boolean;
}

const columns: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'size', label: 'Size' },
  { key: 'modified', label: 'Modified' },
];

/**
 * The entries of a folder as a table or a grid. Keyboard: arrows move between items, Enter opens, Space
 * selects, Shift+click or Shift+Space selects a range, Delete trashes the selection, Backspace goes up.
 */
export function FileList({ vault, entries, order, onOrder, view, selected, onSelect, onOpen, onDelete, onUp, at, canUpload = true }: FileListProps) {
  const sorted = sortEntries(entries, order);
  const anchor = useRef<string | null>(null);
  const container = useRef<HTMLDivElement>(null);

  const toggle = (entry: Entry, range: boolean) => {
    const next = new Set(selected);
    if (range && anchor.current) {
      const a = sorted.findIndex((e) => e.path === anchor.current);
      const b = sorted.findIndex((e) => e.path === entry.path);
      if (a >= 0 && b >= 0) {
        for (const e of sorted.slice(Math.min(a, b), Math.max(a, b) + 1)) next.add(e.path);
        onSelect(next);
        return;
      }
    }
    if (next.has(entry.path)) next.delete(entry.path);
    else next.add(entry.path);
    anchor.current = entry.path;
    onSelect(next);
  };

  const focusItem = (index: number) => {
    const items = container.current?.querySelectorAll<HTMLElement>('[data-item]');
    if (!items || items.length === 0) return;
    items[Math.max(0, Math.min(items.length - 1, index))].focus();
  };

  const onKeyDown = (event: React.KeyboardEvent, index: number, entry: Entry) => {
    const step = view === 'grid' ? Math.max(1, Math.round((container.current?.clientWidth ?? 600) / 170)) : 1;
    switch (event.key) {
      case 'ArrowDown':
        focusItem(index + step);
        break;
      case 'ArrowUp':
        focusItem(index - step);
        break;
      case 'ArrowRight':
        if (view === 'grid') focusItem(index + 1);
        else return;
        break;
      case 'ArrowLeft':
        if (view === 'grid') focusItem(index - 1);
        else return;
        break;
      case 'Home':
        focusItem(0);
        break;
      case 'End':
        focusItem(sorted.length - 1);
        break;
      case ' ':
        toggle(entry, event.shiftKey);
        break;
      case 'Enter':
        onOpen(entry);
        break;
      case 'Delete':
        if (!onDelete) return;
        // The selection if this item is in it, else this item alone.
        onDelete(selected.has(entry.path) ? [...selected] : [entry.path]);
        break;
      case 'Backspace':
        if (!onUp) return;
        onUp();
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const allSelected = sorted.length > 0 && sorted.every((e) => selected.has(e.path));
  const selectAll = (
    <input type="checkbox" aria-label="Select all" checked={allSelected}
      onChange={() => onSelect(allSelected ? new Set() : new Set(sorted.map((e) => e.path)))} />
  );

  if (sorted.length === 0) {
    return <p className="muted empty">{canUpload ? 'This folder is empty. Drop files here or use Upload.' : 'This folder is empty.'}</p>;
  }

  if (view === 'grid') {
    return (
      <div ref={container}>
        <label className="select-all">{selectAll} Select all</label>
        <ul className="grid" aria-label="Files">
          {sorted.map((entry, index) => (
            <li key={entry.path} className={selected.has(entry.path) ? 'tile selected' : 'tile'}>
              <input type="checkbox" aria-label={`Select ${entry.name}`} checked={selected.has(entry.path)}
                onChange={(e) => toggle(entry, (e.nativeEvent as MouseEvent).shiftKey)} />
              <button type="button" className="tile-open" data-item onClick={() => onOpen(entry)} onKeyDown={(e) => onKeyDown(e, index, entry)}
                aria-label={`${entry.name}, ${entry.type === 'dir' ? 'folder' : formatBytes(entry.size)}`}>
                <Thumbnail vault={vault} entry={entry} at={at} />
                <span className="tile-name">{entry.name}</span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    );
  }

  return (
    <div ref={container} className="table-wrap">
      <table className="files">
        <thead>
          <tr>
            <th scope="col" className="check">{selectAll}</th>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={`col-${c.key}`}
                aria-sort={order.key === c.key ? (order.descending ? 'descending' : 'ascending') : 'none'}>
                <button type="button" className="sort" onClick={() => onOrder(nextOrder(order, c.key))}>
                  {c.label}
                  {order.key === c.key ? <span aria-hidden="true">{order.descending ? ' ▼' : ' ▲'}</span> : null}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((entry, index) => (
            <tr key={entry.path} className={selected.has(entry.path) ? 'selected' : undefined} data-testid="file-row">
              <td className="check">
                <input type="checkbox" aria-label={`Select ${entry.name}`} checked={selected.has(entry.path)}
                  onChange={(e) => toggle(entry, (e.nativeEvent as MouseEvent).shiftKey)} />
              </td>
              <td className="col-name">
                <button type="button" className="name" data-item onClick={() => onOpen(entry)} onKeyDown={(e) => onKeyDown(e, index, entry)}>
                  <Thumbnail vault={vault} entry={entry} at={at} />
                  <span>{entry.name}</span>
                </button>
              </td>
              <td className="col-size">{entry.type === 'dir' ? '—' : formatBytes(entry.size)}</td>
              <td className="col-modified">{formatDate(entry.modified)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
