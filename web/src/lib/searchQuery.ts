// The search box's little language, turned into the node's search parameters (docs/search.md):
//   beach 2023        words found in the path's components (any case); *.jpg is a glob
//   type:image        a media type, its top level, an extension, or file/dir
//   after:2024-01-01  modified at or after; before:2024-02-01 modified before
//   size>10MB         at least; size<1GB at most (k, M, G, T; binary)
//   #holiday          has the tag
//   in:trash          also the trash; in:history also older versions

export interface SearchParams {
  q: string;
  type?: string;
  modifiedAfter?: string;
  modifiedBefore?: string;
  minSize?: number;
  maxSize?: number;
  tag: string[];
  trash?: boolean;
  history?: boolean;
}

const units: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Parses a size like 10MB, 1.5G or 500k; undefined if it is not one. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) return undefined;
  return Math.round(parseFloat(match[1]) * units[match[2].toUpperCase()]);
}

export function parseSearch(input: string): SearchParams {
  const params: SearchParams = { q: '', tag: [] };
  const words: string[] = [];
  for (const token of input.split(/\s+/).filter(Boolean)) {
    const lower = token.toLowerCase();
    const size = /^size([<>])(.+)$/i.exec(token);
    if (lower.startsWith('type:') && token.length > 5) params.type = token.slice(5);
    else if (lower.startsWith('after:') && token.length > 6) params.modifiedAfter = token.slice(6);
    else if (lower.startsWith('before:') && token.length > 7) params.modifiedBefore = token.slice(7);
    else if (size && parseSize(size[2]) !== undefined) {
      if (size[1] === '>') params.minSize = parseSize(size[2]);
      else params.maxSize = parseSize(size[2]);
    } else if (token.startsWith('#') && token.length > 1) params.tag.push(token.slice(1));
    else if (lower === 'in:trash') params.trash = true;
    else if (lower === 'in:history') params.history = true;
    else words.push(token);
  }
  params.q = words.join(' ');
  return params;
}

/** The parameters as a query string for GET /api/v1/vaults/{id}/search. */
export function searchQueryString(params: SearchParams, limit = 200): string {
  const pairs: [string, string][] = [['q', params.q], ['limit', String(limit)]];
  if (params.type) pairs.push(['type', params.type]);
  if (params.modifiedAfter) pairs.push(['modifiedAfter', params.modifiedAfter]);
  if (params.modifiedBefore) pairs.push(['modifiedBefore', params.modifiedBefore]);
  if (params.minSize !== undefined) pairs.push(['minSize', String(params.minSize)]);
  if (params.maxSize !== undefined) pairs.push(['maxSize', String(params.maxSize)]);
  for (const tag of params.tag) pairs.push(['tag', tag]);
  if (params.trash) pairs.push(['trash', 'true']);
  if (params.history) pairs.push(['history', 'true']);
  return '?' + new URLSearchParams(pairs).toString();
}

/** Whether the box holds anything to search for. */
export function isEmptySearch(params: SearchParams): boolean {
  return !params.q && !params.type && !params.modifiedAfter && !params.modifiedBefore && params.minSize === undefined
    && params.maxSize === undefined && params.tag.length === 0;
}
