import { fetchBlob } from '../api/dupa';
import { encodePath } from '../api/client';

/**
 * Image thumbnails, made in the browser (the node has no image library): the full image is fetched once, drawn
 * at most 256 px on its longer side and kept as a small WebP (or JPEG) in the Cache API under the vault, the
 * version's ID and the path, so the next visit to a folder fetches nothing. A 4 MB photo becomes about 10 KB.
 * The cache holds plaintext previews on this browser's disk; it is emptied on logout.
 */
export const THUMBNAIL_SIZE = 256;
const CACHE_NAME = 'dupa-thumbnails';
/** An image that cannot be shrunk but is below this is shown itself (an <img> may still draw it: SVG, ICO). */
const SHOW_UNSHRUNK = 512 * 1024;

export interface ThumbnailCache {
  get(key: string): Promise<Blob | null>;
  put(key: string, blob: Blob): Promise<void>;
  clear(): Promise<void>;
}

/** The size to draw an image at so that it fits in a max × max square, never enlarged. */
export function fitWithin(width: number, height: number, max = THUMBNAIL_SIZE): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Runs at most `max` tasks at once, the rest in order of arrival; a waiter whose signal aborts leaves the line. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          this.waiting.splice(this.waiting.indexOf(go), 1);
          reject(new DOMException('cancelled', 'AbortError'));
        };
        this.waiting.push(go);
        signal?.addEventListener('abort', leave, { once: true });
      });
    }
    this.running++;
    try {
      signal?.throwIfAborted();
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export class Thumbnailer {
  private readonly limiter: Limiter;
  /**
   * Images this page could not shrink (SVG, which createImageBitmap does not take; HEIC in Chromium; a damaged
   * file), not fetched again: small ones show as they are, large ones as an icon.
   */
  private readonly failed = new Set<string>();

  constructor(
    private readonly fetchImage: (url: string, signal: AbortSignal) => Promise<Blob>,
    private readonly shrink: (image: Blob) => Promise<Blob>,
    private readonly cache: ThumbnailCache,
    concurrency = 3,
  ) {
    this.limiter = new Limiter(concurrency);
  }

  /** The thumbnail of one file version: from the cache, or made from the image at `url` (a few at a time). */
  async get(key: string, url: string, signal: AbortSignal): Promise<Blob | null> {
    if (this.failed.has(key)) return null; // shown as an icon from then on; a reload tries again
    const cached = await this.cache.get(key);
    if (cached) return cached;
    return this.limiter.run(async () => {
      // Another tile (the list and the grid of the same folder) may have made it while this one waited.
      const made = await this.cache.get(key);
      if (made) return made;
      const image = await this.fetchImage(url, signal);
      let small: Blob;
      try {
        small = await this.shrink(image);
      } catch {
        this.failed.add(key);
        return image.size <= SHOW_UNSHRUNK ? image : null;
      }
      await this.cache.put(key, small).catch(() => {});
      return small;
    }, signal);
  }

  clear(): Promise<void> {
    this.failed.clear();
    return this.cache.clear();
  }
}

export function thumbnailKey(vault: string, path: string, version: string): string {
  return `${location.origin}/__thumbnails/${encodeURIComponent(vault)}/${encodeURIComponent(version)}/${encodePath(path)}`;
}

/** The Cache API (secure pages only; the node serves HTTPS); elsewhere a cache that keeps nothing. */
export function browserCache(): ThumbnailCache {
  if (typeof caches === 'undefined') {
    return { get: async () => null, put: async () => {}, clear: async () => {} };
  }
  return {
    async get(key) {
      const hit = await caches.match(key, { cacheName: CACHE_NAME }).catch(() => undefined);
      return hit ? hit.blob() : null;
    },
    async put(key, blob) {
      const cache = await caches.open(CACHE_NAME);
      await cache.put(key, new Response(blob, { headers: { 'Content-Type': blob.type } }));
    },
    async clear() {
      await caches.delete(CACHE_NAME);
    },
  };
}

/** Draws an image at thumbnail size and encodes it as WebP, or JPEG where the browser cannot write WebP. */
export async function shrinkImage(image: Blob, max = THUMBNAIL_SIZE): Promise<Blob> {
  const bitmap = await createImageBitmap(image);
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height, max);
    const encode = await canvasOf(width, height, (context) => context.drawImage(bitmap, 0, 0, width, height));
    const webp = await encode('image/webp');
    return webp.type === 'image/webp' ? webp : await encode('image/jpeg');
  } finally {
    bitmap.close();
  }
}

type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

async function canvasOf(width: number, height: number, draw: (context: Context2D) => void): Promise<(type: string) => Promise<Blob>> {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    draw(canvas.getContext('2d')!);
    return (type) => canvas.convertToBlob({ type, quality: 0.8 });
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  draw(canvas.getContext('2d')!);
  return (type) => new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the image could not be encoded'))), type, 0.8));
}

export const thumbnails = new Thumbnailer(fetchBlob, shrinkImage, browserCache());
