import { describe, expect, it } from 'vitest';
import { PIECE_SIZE, RESUMABLE_THRESHOLD, sampleOf, storageMemory, uploadKey, UploadQueue, type Transport, type UploadMemory } from './upload';

type Sent = { method: string; url: string; offset?: string; size: number };

/**
 * A node that outlives the page: sessions by URL with their offsets. `hangAt` makes the PATCH from that offset
 * never answer (the page is reloaded while it is on the way), as a real reload leaves it.
 */
function persistentNode() {
  const sessions = new Map<string, { offset: number; length: number }>();
  let created = 0;
  const sent: Sent[] = [];
  let hangAt: number | undefined;
  const transport: Transport = {
    async send({ method, url, body, headers, onProgress, signal }) {
      const size = body instanceof Blob ? body.size : 0;
      sent.push({ method, url, offset: headers['Upload-Offset'], size });
      const header = (values: Record<string, string>) => (name: string) => values[name] ?? null;
      if (method === 'POST') {
        const location = `/api/v1/vaults/v/uploads/s${++created}`;
        sessions.set(location, { offset: 0, length: (JSON.parse(body as string) as { length: number }).length });
        return { status: 201, header: header({ Location: location }), text: '{}' };
      }
      const session = sessions.get(url);
      if (!session) return { status: 404, header: header({ 'Content-Type': 'application/problem+json' }), text: '{"detail":"no such upload","code":"not_found"}' };
      if (method === 'HEAD') return { status: 200, header: header({ 'Upload-Offset': String(session.offset) }), text: '' };
      if (method === 'DELETE') {
        sessions.delete(url);
        return { status: 204, header: header({}), text: '' };
      }
      if (Number(headers['Upload-Offset']) === hangAt) {
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError'))));
      }
      onProgress?.(size);
      session.offset += size;
      if (session.offset < session.length) return { status: 204, header: header({ 'Upload-Offset': String(session.offset) }), text: '' };
      sessions.delete(url);
      return { status: 201, header: header({ 'Upload-Offset': String(session.offset) }), text: '{}' };
    },
  };
  return { transport, sent, sessions, hang: (offset: number | undefined) => (hangAt = offset) };
}

function mapMemory(): UploadMemory & { saved: Map<string, string> } {
  const saved = new Map<string, string>();
  return { saved, get: (k) => saved.get(k) ?? null, set: (k, v) => void saved.set(k, v), delete: (k) => void saved.delete(k), clear: () => saved.clear() };
}

const size = RESUMABLE_THRESHOLD + 2 * PIECE_SIZE + 100;
const bigFile = (fill = 0) => Object.assign(new Blob([new Uint8Array(size).fill(fill)]), { lastModified: 1_700_000_000_000 });
const noWait = async () => {};

describe('resuming uploads after a reload', () => {
  it('goes on from the offset the node reports when the same file is picked again, and says so', async () => {
    const node = persistentNode();
    const memory = mapMemory();
    node.hang(2 * PIECE_SIZE);
    const before = new UploadQueue(node.transport, async () => 't', 1, noWait, memory);
    const [first] = before.add('v', '/Films', [{ file: bigFile(), relativePath: 'trip.webm' }]);
    while (node.sent.filter((s) => s.method === 'PATCH').length < 3) await new Promise((r) => setTimeout(r, 1));
    // What a reload keeps: the session's URL under the file's key, never a token.
    expect([...memory.saved.keys()]).toEqual([uploadKey('v', '/Films/trip.webm', { size, lastModified: 1_700_000_000_000 }, await sampleOf(bigFile()))]);
    expect([...memory.saved.values()]).toEqual(['/api/v1/vaults/v/uploads/s1']);
    expect(JSON.stringify([...memory.saved])).not.toContain('t"');
    expect(first.status).toBe('uploading');

    // The reload: a new page with a new queue; the old one's request is gone.
    node.hang(undefined);
    node.sent.length = 0;
    const after = new UploadQueue(node.transport, async () => 't', 1, noWait, memory);
    const [item] = after.add('v', '/Films', [{ file: bigFile(), relativePath: 'trip.webm' }]);
    await after.idle();
    expect(item.status).toBe('done');
    expect(item.resumedFrom).toBe(2 * PIECE_SIZE);
    expect(node.sent.map((s) => `${s.method} ${s.offset ?? ''}`.trim())).toEqual(['HEAD', `PATCH ${2 * PIECE_SIZE}`, `PATCH ${3 * PIECE_SIZE}`, `PATCH ${4 * PIECE_SIZE}`]);
    expect(node.sent.reduce((n, s) => n + s.size, 0)).toBe(size - 2 * PIECE_SIZE);
    // Finished: nothing left to resume.
    expect(memory.saved.size).toBe(0);
  });

  it('starts again when the node no longer has the session (expired, or it restarted)', async () => {
    const node = persistentNode();
    const memory = mapMemory();
    memory.set(uploadKey('v', '/trip.webm', bigFile(), await sampleOf(bigFile())), '/api/v1/vaults/v/uploads/gone');
    const queue = new UploadQueue(node.transport, async () => 't', 1, noWait, memory);
    const [item] = queue.add('v', '/', [{ file: bigFile(), relativePath: 'trip.webm' }]);
    await queue.idle();
    expect(item.status).toBe('done');
    expect(item.resumedFrom).toBeUndefined();
    expect(node.sent.map((s) => s.method)).toEqual(['HEAD', 'POST', ...Array<string>(5).fill('PATCH')]);
    expect(memory.saved.size).toBe(0);
  });

  it('does not go on with another file of the same name, size and time', async () => {
    const node = persistentNode();
    const memory = mapMemory();
    node.hang(PIECE_SIZE);
    const before = new UploadQueue(node.transport, async () => 't', 1, noWait, memory);
    before.add('v', '/', [{ file: bigFile(1), relativePath: 'trip.webm' }]);
    while (node.sent.filter((s) => s.method === 'PATCH').length < 2) await new Promise((r) => setTimeout(r, 1));
    node.hang(undefined);
    node.sent.length = 0;
    const after = new UploadQueue(node.transport, async () => 't', 1, noWait, memory);
    const [item] = after.add('v', '/', [{ file: bigFile(2), relativePath: 'trip.webm' }]);
    await after.idle();
    expect(item.resumedFrom).toBeUndefined();
    expect(node.sent.slice(0, 2).map((s) => `${s.method} ${s.offset ?? ''}`.trim())).toEqual(['POST', 'PATCH 0']);
  });

  it('gives the same file picked twice at once a session each', async () => {
    const node = persistentNode();
    const memory = mapMemory();
    const queue = new UploadQueue(node.transport, async () => 't', 2, noWait, memory);
    const items = queue.add('v', '/', [{ file: bigFile(), relativePath: 'trip.webm' }, { file: bigFile(), relativePath: 'trip.webm' }]);
    await queue.idle();
    expect(items.map((i) => [i.status, i.resumedFrom])).toEqual([['done', undefined], ['done', undefined]]);
    expect(node.sent.filter((s) => s.method === 'POST')).toHaveLength(2);
    expect(memory.saved.size).toBe(0);
  });

  it('forgets and ends the session when the user cancels', async () => {
    const node = persistentNode();
    const memory = mapMemory();
    node.hang(PIECE_SIZE);
    const queue = new UploadQueue(node.transport, async () => 't', 1, noWait, memory);
    const [item] = queue.add('v', '/', [{ file: bigFile(), relativePath: 'trip.webm' }]);
    while (node.sent.filter((s) => s.method === 'PATCH').length < 2) await new Promise((r) => setTimeout(r, 1));
    queue.cancel(item.id);
    await queue.idle();
    await new Promise((r) => setTimeout(r, 1));
    expect(memory.saved.size).toBe(0);
    expect(node.sessions.size).toBe(0);
  });

  it('keeps sessions in localStorage for a day, the node\'s lifetime for them', () => {
    let now = 1_000;
    const memory = storageMemory(() => localStorage, () => now);
    memory.set('k', '/api/v1/vaults/v/uploads/s1');
    expect(memory.get('k')).toBe('/api/v1/vaults/v/uploads/s1');
    now += 25 * 60 * 60 * 1000;
    expect(memory.get('k')).toBeNull();
    expect(memory.get('k')).toBeNull();
  });

  it('prunes expired sessions and forgets them all on logout, leaving other settings alone', () => {
    let now = 1_000;
    localStorage.setItem('dupa.browser', '{"view":"grid"}');
    const memory = storageMemory(() => localStorage, () => now);
    memory.set('dupa.upload:old', '/old');
    now += 25 * 60 * 60 * 1000;
    memory.set('dupa.upload:new', '/new');
    expect(localStorage.getItem('dupa.upload:old')).toBeNull();
    expect(memory.get('dupa.upload:new')).toBe('/new');
    memory.clear();
    expect(localStorage.getItem('dupa.upload:new')).toBeNull();
    expect(localStorage.getItem('dupa.browser')).toBe('{"view":"grid"}');
  });
});
