import { describe, expect, it } from 'vitest';
import { PIECE_SIZE, RESUMABLE_THRESHOLD, UploadQueue, type Transport } from './upload';

type Sent = { method: string; url: string; headers: Record<string, string>; size: number };

/** A node in memory: PUT stores, resumable sessions take PATCHes at their offset; progress is reported in quarters. */
function fakeNode(options: { failPatchOnce?: number } = {}) {
  const sent: Sent[] = [];
  let offset = 0;
  let failures = options.failPatchOnce;
  const transport: Transport = {
    async send({ method, url, body, headers, onProgress }) {
      const size = body instanceof Blob ? body.size : (body?.length ?? 0);
      sent.push({ method, url, headers, size });
      const header = (values: Record<string, string>) => (name: string) => values[name] ?? null;
      for (let i = 1; i <= 4; i++) onProgress?.((size * i) / 4);
      if (method === 'PUT') {
        if (url.includes('forbidden')) {
          return { status: 403, header: header({ 'Content-Type': 'application/problem+json' }), text: JSON.stringify({ detail: 'not yours', code: 'forbidden' }) };
        }
        return { status: 201, header: header({}), text: '{}' };
      }
      if (method === 'POST') return { status: 201, header: header({ Location: '/api/v1/vaults/v/uploads/s1' }), text: '{"id":"s1"}' };
      if (method === 'HEAD') return { status: 200, header: header({ 'Upload-Offset': String(offset) }), text: '' };
      // PATCH: a dropped connection after half the piece arrived.
      if (failures !== undefined && Number(headers['Upload-Offset']) === failures) {
        failures = undefined;
        offset += size / 2;
        throw new TypeError('network error');
      }
      expect(Number(headers['Upload-Offset'])).toBe(offset);
      offset += size;
      return { status: offset >= total ? 201 : 204, header: header({ 'Upload-Offset': String(offset) }), text: '' };
    },
  };
  let total = 0;
  return { transport, sent, setTotal: (n: number) => (total = n) };
}

const blob = (size: number) => new Blob([new Uint8Array(size)]);

describe('UploadQueue', () => {
  it('reports progress per file and overall, and finishes every file', async () => {
    const node = fakeNode();
    const queue = new UploadQueue(node.transport, async () => 'token', 2, async () => {});
    const seen: number[] = [];
    queue.subscribe(() => seen.push(queue.totals.sent));
    queue.add('v', '/Trip', [{ file: blob(1000), relativePath: 'a.jpg' }, { file: blob(3000), relativePath: 'day 2/b.jpg' }]);
    await queue.idle();
    expect(queue.items.map((i) => [i.path, i.status, i.sent])).toEqual([['/Trip/a.jpg', 'done', 1000], ['/Trip/day 2/b.jpg', 'done', 3000]]);
    expect(queue.totals).toMatchObject({ sent: 4000, size: 4000, done: 2, failed: 0 });
    // Progress rises monotonically through intermediate values up to the total.
    expect(seen.some((s) => s > 0 && s < 4000)).toBe(true);
    expect(seen.every((s, i) => i === 0 || s >= seen[i - 1])).toBe(true);
    expect(node.sent.map((s) => s.url)).toEqual(['/api/v1/vaults/v/files/Trip/a.jpg', '/api/v1/vaults/v/files/Trip/day%202/b.jpg']);
    expect(node.sent[0].headers.Authorization).toBe('Bearer token');
  });

  it('sends big files in resumable pieces and resumes from the offset the node reports after a drop', async () => {
    const size = RESUMABLE_THRESHOLD + PIECE_SIZE + 123;
    const node = fakeNode({ failPatchOnce: PIECE_SIZE });
    node.setTotal(size);
    const queue = new UploadQueue(node.transport, async () => 'token', 1, async () => {});
    const [item] = queue.add('v', '/', [{ file: blob(size), relativePath: 'movie.mp4' }]);
    expect(item.resumable).toBe(true);
    await queue.idle();
    expect(item.status).toBe('done');
    expect(item.sent).toBe(size);
    const methods = node.sent.map((s) => `${s.method} ${s.headers['Upload-Offset'] ?? ''}`.trim());
    expect(methods).toEqual([
      'POST', 'PATCH 0', `PATCH ${PIECE_SIZE}`, 'HEAD', `PATCH ${PIECE_SIZE + PIECE_SIZE / 2}`, `PATCH ${PIECE_SIZE * 2 + PIECE_SIZE / 2}`,
    ]);
  });

  it('shows a failed file with the node\'s reason and goes on with the others', async () => {
    const node = fakeNode();
    const queue = new UploadQueue(node.transport, async () => 'token', 1, async () => {});
    queue.add('v', '/', [{ file: blob(10), relativePath: 'forbidden.txt' }, { file: blob(10), relativePath: 'ok.txt' }]);
    await queue.idle();
    expect(queue.items.map((i) => i.status)).toEqual(['failed', 'done']);
    expect(queue.items[0].error).toBe('Not yours');
    expect(queue.totals).toMatchObject({ done: 1, failed: 1 });
  });
});
