import { act, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Entry } from '../api/types';
import { Thumbnailer, type ThumbnailCache } from '../lib/thumbnails';
import { Thumbnail } from './Thumbnail';

/** An IntersectionObserver the test drives: `reveal()` brings every observed element into view. */
const observed = new Set<{ callback: IntersectionObserverCallback; element: Element }>();
function reveal() {
  for (const { callback, element } of [...observed]) callback([{ isIntersecting: true, target: element } as IntersectionObserverEntry], {} as IntersectionObserver);
}

beforeEach(() => {
  vi.stubGlobal('IntersectionObserver', class {
    private readonly callback: IntersectionObserverCallback;
    private entry?: { callback: IntersectionObserverCallback; element: Element };
    constructor(callback: IntersectionObserverCallback) {
      this.callback = callback;
    }
    observe(element: Element) {
      this.entry = { callback: this.callback, element };
      observed.add(this.entry);
    }
    disconnect() {
      if (this.entry) observed.delete(this.entry);
    }
  });
  URL.createObjectURL = vi.fn(() => 'blob:thumb');
  URL.revokeObjectURL = vi.fn();
});
afterEach(() => {
  vi.unstubAllGlobals();
  observed.clear();
});

const photo: Entry = { name: 'beach.jpg', path: '/Photos/beach.jpg', type: 'file', size: 2_000_000, modified: '2026-07-01T10:00:00Z', versions: 1, version: 'v1' };

describe('Thumbnail', () => {
  it('fetches an image only once it scrolls near, and shows the small copy', async () => {
    const fetched: string[] = [];
    const saved = new Map<string, Blob>();
    const cache: ThumbnailCache = { get: async (k) => saved.get(k) ?? null, put: async (k, b) => void saved.set(k, b), clear: async () => saved.clear() };
    const thumbnailer = new Thumbnailer(async (url) => (fetched.push(url), new Blob(['full'])), async () => new Blob(['small'], { type: 'image/webp' }), cache);
    const { container } = render(<Thumbnail vault="v1" entry={photo} thumbnails={thumbnailer} />);
    await act(async () => {});
    expect(fetched).toEqual([]);
    expect(container.querySelector('img')).toBeNull();

    await act(async () => {
      reveal();
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(fetched).toEqual(['/api/v1/vaults/v1/files/Photos/beach.jpg']);
    expect(container.querySelector('img')?.getAttribute('src')).toBe('blob:thumb');
    expect(saved.size).toBe(1);
  });

  it('does not fetch anything for folders and other files', async () => {
    const thumbnailer = new Thumbnailer(async () => {
      throw new Error('fetched');
    }, async (b) => b, { get: async () => null, put: async () => {}, clear: async () => {} });
    const { container } = render(<>
      <Thumbnail vault="v" entry={{ ...photo, name: 'Photos', path: '/Photos', type: 'dir' }} thumbnails={thumbnailer} />
      <Thumbnail vault="v" entry={{ ...photo, name: 'notes.txt', path: '/notes.txt' }} thumbnails={thumbnailer} />
    </>);
    await act(async () => reveal());
    expect(container.querySelectorAll('img')).toHaveLength(0);
    expect(container.querySelectorAll('svg')).toHaveLength(2);
  });
});
