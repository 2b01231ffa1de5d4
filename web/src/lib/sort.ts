import type { Entry } from '../api/types';

export type SortKey = 'name' | 'size' | 'modified' | 'type';
export interface SortOrder {
  key: SortKey;
  descending: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function typeOf(e: Entry): string {
  const dot = e.name.lastIndexOf('.');
  return dot > 0 ? e.name.slice(dot + 1).toLowerCase() : '';
}

/**
 * Folders first whatever the order (as every file manager does), then by the chosen key, ties broken by
 * name so the order is stable. Names compare naturally: "img2" before "img10".
 */
export function sortEntries(entries: readonly Entry[], order: SortOrder): Entry[] {
  const sign = order.descending ? -1 : 1;
  const compare = (a: Entry, b: Entry): number => {
    switch (order.key) {
      case 'size':
        return a.size - b.size;
      case 'modified':
        return Date.parse(a.modified) - Date.parse(b.modified);
      case 'type':
        return collator.compare(typeOf(a), typeOf(b));
      default:
        return collator.compare(a.name, b.name);
    }
  };
  return [...entries].sort((a, b) => {
    const dirs = Number(b.type === 'dir') - Number(a.type === 'dir');
    if (dirs !== 0) return dirs;
    const primary = compare(a, b) * sign;
    return primary !== 0 ? primary : collator.compare(a.name, b.name);
  });
}

/** Clicking the column that sorts flips it; another column sorts ascending (dates and sizes: newest/largest first). */
export function nextOrder(current: SortOrder, key: SortKey): SortOrder {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key === 'modified' || key === 'size' };
}
