import { describe, expect, it } from 'vitest';
import { fitWithin, Limiter, Thumbnailer, type ThumbnailCache } from './thumbnails';

function memoryCache(): ThumbnailCache & { saved: Map<string, Blob> } {
  const saved = new Map<string, Blob>();
  return { saved, get: async (k) => saved.get(k) ?? null, put: async (k, b) => void saved.set(k, b), clear: async () => saved.clear() };
}

/** Image fetches that finish when told to, counting how many run at once. */
function slowImages() {
  const fetched: string[] = [];
  const pending: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const fetchImage = (url: string) => {
    fetched.push(url);
    most = Math.max(most, ++running);
    return new Promise<Blob>((resolve) => pending.push(() => {
      running--;
      resolve(new Blob([new Uint8Array(100_000)], { type: 'image/jpeg' }));
    }));
  };
  return { fetchImage, fetched, pending, most: () => most };
}

const shrink = async (image: Blob) => new Blob([new Uint8Array(image.size / 100)], { type: 'image/webp' });
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('thumbnails', () => {
  it('fit in a 256 px square and are never enlarged', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 256, height: 192 });
    expect(fitWithin(320, 200)).toEqual({ width: 256, height: 160 });
    expect(fitWithin(100, 3000)).toEqual({ width: 9, height: 256 });
    expect(fitWithin(40, 30)).toEqual({ width: 40, height: 30 });
  });

  it('are made a few at a time, kept, and not fetched again', async () => {
    const images = slowImages();
    const cache = memoryCache();
    const thumbnailer = new Thumbnailer(images.fetchImage, shrink, cache, 3);
    const signal = new AbortController().signal;
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => thumbnailer.get(`k${i}`, `/img${i}`, signal)));
    for (let done = 0; done < 10; done++) {
      await settle();
      images.pending.shift()!();
    }
    const made = await all;
    expect(images.most()).toBe(3);
    expect(made.every((b) => b?.size === 1000 && b.type === 'image/webp')).toBe(true);
    expect(cache.saved.size).toBe(10);

    // A second visit: every thumbnail from the cache, no image fetched.
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => thumbnailer.get(`k${i}`, `/img${i}`, signal)));
    expect(again.every((b) => b?.size === 1000)).toBe(true);
    expect(images.fetched).toHaveLength(10);
  });

  it('give up quietly on images the browser cannot decode, without fetching them again', async () => {
    let fetches = 0;
    const thumbnailer = new Thumbnailer(async () => (fetches++, new Blob([new Uint8Array(600_000)])), async () => Promise.reject(new Error('cannot decode')), memoryCache());
    const signal = new AbortController().signal;
    expect(await thumbnailer.get('k', '/x.heic', signal)).toBeNull();
    expect(await thumbnailer.get('k', '/x.heic', signal)).toBeNull();
    expect(fetches).toBe(1);
    // A small one (an SVG icon) shows as it is.
    const svg = new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: 'image/svg+xml' });
    const icons = new Thumbnailer(async () => svg, async () => Promise.reject(new Error('cannot decode')), memoryCache());
    expect(await icons.get('s', '/logo.svg', signal)).toBe(svg);
  });

  it('let a waiting request leave the line when its tile scrolls away', async () => {
    const limiter = new Limiter(1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'ran', controller.signal);
    const after = limiter.run(async () => 'next');
    controller.abort();
    await expect(waiting).rejects.toThrow('cancelled');
    release();
    await first;
    expect(await after).toBe('next');
  });
});
