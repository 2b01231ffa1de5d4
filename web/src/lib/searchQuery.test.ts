import { describe, expect, it } from 'vitest';
import { isEmptySearch, parseSearch, parseSize, searchQueryString } from './searchQuery';

describe('parseSearch', () => {
  it('splits words from filters', () => {
    const params = parseSearch('beach 2023 type:image after:2024-01-01 before:2024-02-01 size>10MB size<1GiB #holiday #Family in:trash');
    expect(params).toEqual({
      q: 'beach 2023', type: 'image', modifiedAfter: '2024-01-01', modifiedBefore: '2024-02-01',
      minSize: 10 * 1024 ** 2, maxSize: 1024 ** 3, tag: ['holiday', 'Family'], trash: true,
    });
  });

  it('keeps what is not a filter as a word', () => {
    expect(parseSearch('size>lots type: #').q).toBe('size>lots type: #');
  });

  it('builds the query string the node expects', () => {
    const qs = searchQueryString(parseSearch('*.jpg #a #b size>1k'));
    expect(new URLSearchParams(qs).getAll('tag')).toEqual(['a', 'b']);
    expect(new URLSearchParams(qs).get('q')).toBe('*.jpg');
    expect(new URLSearchParams(qs).get('minSize')).toBe('1024');
  });

  it('knows an empty search', () => {
    expect(isEmptySearch(parseSearch('   '))).toBe(true);
    expect(isEmptySearch(parseSearch('#x'))).toBe(false);
  });

  it('reads sizes', () => {
    expect(parseSize('500k')).toBe(512000);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('12')).toBe(12);
    expect(parseSize('ten')).toBeUndefined();
  });
});
