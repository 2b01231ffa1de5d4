import { api, encodePath } from './client';
import { ApiError, errorFromResponse, messageOf } from './errors';
import { joinPath } from '../lib/paths';

/** One HTTP exchange with upload progress (fetch cannot report upload progress; XMLHttpRequest can). */
export interface Transport {
  send(request: {
    method: string;
    url: string;
    body?: Blob | string;
    headers: Record<string, string>;
    onProgress?: (sent: number) => void;
    signal: AbortSignal;
  }): Promise<{ status: number; header: (name: string) => string | null; text: string }>;
}

export type UploadStatus = 'queued' | 'uploading' | 'done' | 'failed' | 'cancelled';

export interface UploadItem {
  id: number;
  vault: string;
  path: string;
  size: number;
  sent: number;
  status: UploadStatus;
  error?: string;
  resumable: boolean;
  /** Where an upload started before a reload went on from (bytes the node already had). */
  resumedFrom?: number;
}

export interface PendingFile {
  file: Blob & { lastModified?: number };
  /** Where it goes, relative to the target folder ("Trip/2024/a.jpg" for a folder upload). */
  relativePath: string;
}

/** Files above this go through resumable sessions, in pieces, so a dropped connection costs one piece. */
export const RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
export const PIECE_SIZE = 4 * 1024 * 1024;
const MAX_RETRIES = 5;

/**
 * Unfinished resumable uploads, so that picking the same file again after a page reload goes on where the node
 * stands instead of sending it all again. Holds only the session's URL (no token, nothing of the file), under a
 * key made of the vault, the target path, the file's size and modification time, and a hash of its first and
 * last 64 KiB (so that another file of the same name, size and time is not appended to the first one's bytes).
 */
export interface UploadMemory {
  get(key: string): string | null;
  set(key: string, location: string): void;
  delete(key: string): void;
  /** Forgets every session (logging out). */
  clear(): void;
}

/** The node drops sessions after 24 hours; a remembered one older than that is gone. */
const SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;
const PREFIX = 'dupa.upload:';
const SAMPLE = 64 * 1024;

export function uploadKey(vault: string, path: string, file: { size: number; lastModified?: number }, sample: string): string {
  return PREFIX + JSON.stringify([vault, path, file.size, file.lastModified ?? 0, sample]);
}

/** SHA-256 of the file's first and last 64 KiB; empty where the page has no WebCrypto (plain HTTP). */
export async function sampleOf(file: Blob): Promise<string> {
  if (typeof crypto === 'undefined' || !crypto.subtle) return '';
  const ends = new Blob([file.slice(0, SAMPLE), file.slice(Math.max(SAMPLE, file.size - SAMPLE))]);
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(await ends.arrayBuffer()));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The browser's memory: localStorage, which outlives a reload; unavailable storage just means no resuming. */
export function storageMemory(storage: () => Storage = () => localStorage, now: () => number = () => Date.now()): UploadMemory {
  // Full, blocked or unreadable storage: the upload works, it just will not resume after a reload.
  const quietly = <T,>(action: () => T, otherwise: T): T => {
    try {
      return action();
    } catch {
      return otherwise;
    }
  };
  const read = (key: string) => quietly(() => JSON.parse(storage().getItem(key) ?? 'null') as { location: string; savedAt: number } | null, null);
  const keys = () => quietly(() => Array.from({ length: storage().length }, (_, i) => storage().key(i)!).filter((k) => k.startsWith(PREFIX)), []);
  return {
    get(key) {
      const saved = read(key);
      return saved && now() - saved.savedAt < SESSION_LIFETIME_MS ? saved.location : null;
    },
    set(key, location) {
      // Sessions given up on without a cancel (a closed tab) would otherwise stay for good.
      for (const old of keys()) {
        const saved = read(old);
        if (!saved || now() - saved.savedAt >= SESSION_LIFETIME_MS) quietly(() => storage().removeItem(old), undefined);
      }
      quietly(() => storage().setItem(key, JSON.stringify({ location, savedAt: now() })), undefined);
    },
    delete(key) {
      quietly(() => storage().removeItem(key), undefined);
    },
    clear() {
      for (const key of keys()) quietly(() => storage().removeItem(key), undefined);
    },
  };
}

function problem(status: number, header: (name: string) => string | null, text: string): Promise<ApiError> {
  return errorFromResponse(new Response(text, { status, headers: { 'Content-Type': header('Content-Type') ?? 'text/plain' } }));
}

/**
 * Uploads files, a few at a time, with progress per file and overall. Small files are one PUT; large ones use
 * the node's resumable sessions and, after a failed piece, ask the node where it stands and go on from there.
 */
export class UploadQueue {
  readonly items: UploadItem[] = [];
  private readonly files = new Map<number, PendingFile>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly listeners = new Set<() => void>();
  /** Keys of the resumable sessions this page is sending: the same file picked twice at once gets two sessions. */
  private readonly sending = new Set<string>();
  private active = 0;
  private nextId = 1;

  constructor(
    private readonly transport: Transport,
    private readonly token: () => Promise<string> = () => api.accessToken(),
    private readonly concurrency = 3,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly memory: UploadMemory = storageMemory(),
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Bytes sent and total over the files not cancelled. */
  get totals(): { sent: number; size: number; done: number; failed: number; count: number } {
    const counted = this.items.filter((i) => i.status !== 'cancelled');
    return {
      sent: counted.reduce((s, i) => s + i.sent, 0),
      size: counted.reduce((s, i) => s + i.size, 0),
      done: counted.filter((i) => i.status === 'done').length,
      failed: counted.filter((i) => i.status === 'failed').length,
      count: counted.length,
    };
  }

  get busy(): boolean {
    return this.items.some((i) => i.status === 'queued' || i.status === 'uploading');
  }

  add(vault: string, dir: string, pending: PendingFile[]): UploadItem[] {
    const added = pending.map((p) => {
      const item: UploadItem = {
        id: this.nextId++, vault, path: joinPath(dir, p.relativePath), size: p.file.size, sent: 0, status: 'queued',
        resumable: p.file.size > RESUMABLE_THRESHOLD,
      };
      this.files.set(item.id, p);
      this.items.push(item);
      return item;
    });
    this.emit();
    this.pump();
    return added;
  }

  cancel(id: number) {
    const item = this.items.find((i) => i.id === id);
    if (!item || item.status === 'done' || item.status === 'failed') return;
    item.status = 'cancelled';
    this.controllers.get(id)?.abort();
    this.emit();
  }

  clearFinished() {
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (!['queued', 'uploading'].includes(this.items[i].status)) {
        this.files.delete(this.items[i].id);
        this.items.splice(i, 1);
      }
    }
    this.emit();
  }

  /** Forgets the sessions kept for resuming after a reload: on logout, as they name the user's files. */
  forgetSessions() {
    this.memory.clear();
  }

  /** Resolves when nothing is queued or uploading. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.subscribe(() => {
        if (!this.busy) {
          off();
          resolve();
        }
      });
    });
  }

  private emit() {
    for (const listener of [...this.listeners]) listener();
  }

  private pump() {
    while (this.active < this.concurrency) {
      const next = this.items.find((i) => i.status === 'queued');
      if (!next) return;
      this.active++;
      next.status = 'uploading';
      const controller = new AbortController();
      this.controllers.set(next.id, controller);
      this.emit();
      this.run(next, controller.signal)
        .then(() => {
          if (next.status === 'uploading') {
            next.status = 'done';
            next.sent = next.size;
          }
        })
        .catch((error: unknown) => {
          if (next.status === 'uploading') {
            next.status = 'failed';
            next.error = messageOf(error);
          }
        })
        .finally(() => {
          this.active--;
          this.controllers.delete(next.id);
          this.emit();
          this.pump();
        });
    }
  }

  private async run(item: UploadItem, signal: AbortSignal) {
    const { file } = this.files.get(item.id)!;
    const modified = new Date(file.lastModified ?? Date.now()).toISOString();
    const progress = (base: number) => (sent: number) => {
      item.sent = Math.min(item.size, base + sent);
      this.emit();
    };
    if (!item.resumable) {
      const url = `/api/v1/vaults/${encodeURIComponent(item.vault)}/files/${encodePath(item.path)}`;
      await this.exchange('PUT', url, { 'X-Dupa-Modified': modified, 'Content-Type': 'application/octet-stream' }, file, progress(0), signal);
      return;
    }
    const sampled = uploadKey(item.vault, item.path, file, await sampleOf(file));
    const key = this.sending.has(sampled) ? null : sampled;
    if (key) this.sending.add(key);
    try {
      await this.runResumable(item, file, key, modified, progress, signal);
    } finally {
      if (key) this.sending.delete(key);
    }
  }

  private async runResumable(item: UploadItem, file: Blob, key: string | null, modified: string, progress: (base: number) => (sent: number) => void, signal: AbortSignal) {
    let location: string;
    let offset: number;
    const resumed = key ? await this.resume(key, signal) : null;
    if (resumed) {
      ({ location, offset } = resumed);
      if (offset > 0) item.resumedFrom = offset;
      progress(0)(offset);
    } else {
      const created = await this.exchange('POST', `/api/v1/vaults/${encodeURIComponent(item.vault)}/uploads`, { 'Content-Type': 'application/json' },
        JSON.stringify({ path: item.path, length: item.size, modified }), undefined, signal);
      location = created.header('Location') ?? `/api/v1/vaults/${encodeURIComponent(item.vault)}/uploads/${(JSON.parse(created.text) as { id: string }).id}`;
      offset = 0;
      if (key) this.memory.set(key, location);
    }
    const forget = () => key && this.memory.delete(key);
    try {
      await this.sendPieces(item, file, location, offset, progress, signal);
      forget();
    } catch (error) {
      // Kept for a later try only when the node may still have the session and the user did not give up on it.
      if (item.status === 'cancelled') {
        forget();
        void this.exchange('DELETE', location, {}, undefined, undefined, new AbortController().signal).catch(() => {});
      } else if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 409 && error.status !== 429) {
        forget();
      }
      throw error;
    }
  }

  /** A remembered session for this file and where the node stands in it; null when there is none (any more). */
  private async resume(key: string, signal: AbortSignal): Promise<{ location: string; offset: number } | null> {
    const location = this.memory.get(key);
    if (!location) return null;
    try {
      const status = await this.exchange('HEAD', location, {}, undefined, undefined, signal);
      return { location, offset: Number(status.header('Upload-Offset') ?? 0) };
    } catch (error) {
      if (signal.aborted) throw error;
      // Expired, finished, or the node restarted (sessions live in its memory): start again.
      this.memory.delete(key);
      return null;
    }
  }

  private async sendPieces(item: UploadItem, file: Blob, location: string, from: number, progress: (base: number) => (sent: number) => void, signal: AbortSignal) {
    let offset = from;
    let failures = 0;
    while (offset < item.size) {
      const end = Math.min(item.size, offset + PIECE_SIZE);
      try {
        const answer = await this.exchange('PATCH', location, { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
          file.slice(offset, end), progress(offset), signal);
        offset = Number(answer.header('Upload-Offset') ?? end);
        failures = 0;
        if (answer.status === 201) return;
      } catch (error) {
        if (signal.aborted || (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 409 && error.status !== 429)) {
          throw error;
        }
        if (++failures > MAX_RETRIES) throw error;
        await this.sleep(500 * 2 ** failures);
        // Ask the node how much arrived; the session keeps every byte received before the drop.
        const status = await this.exchange('HEAD', location, {}, undefined, undefined, signal);
        offset = Number(status.header('Upload-Offset') ?? offset);
        progress(0)(offset);
      }
    }
  }

  private async exchange(method: string, url: string, headers: Record<string, string>, body: Blob | string | undefined,
    onProgress: ((sent: number) => void) | undefined, signal: AbortSignal) {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.transport.send({
        method, url, body, signal, onProgress,
        headers: { ...headers, Authorization: `Bearer ${await this.token()}` },
      });
      if (answer.status >= 200 && answer.status < 300) return answer;
      if (answer.status === 401 && attempt === 0) {
        await api.refresh();
        continue;
      }
      throw await problem(answer.status, answer.header, answer.text);
    }
  }
}

/** The browser's transport: XMLHttpRequest, for its upload progress events. */
export const xhrTransport: Transport = {
  send({ method, url, body, headers, onProgress, signal }) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText });
      xhr.onerror = () => reject(new TypeError('network error'));
      xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(body ?? null);
    });
  },
};

export const uploads = new UploadQueue(xhrTransport);
