import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrashPage } from './TrashPage';

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const item = { id: 'dev:1:0', path: '/old.txt', type: 'file', size: 5, files: 1, deleted: '2026-11-20T10:00:00Z' };

function serve(role: string) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => url.includes('/trash')
    ? json([item])
    : json([{ id: 'v1', name: 'Family', unlocked: true, role, createdAt: '2026-11-01T00:00:00Z' }])));
}

afterEach(() => vi.unstubAllGlobals());

describe('TrashPage', () => {
  it.each([
    ['viewer', false, false],
    ['editor', true, false],
    ['manager', true, true],
    ['owner', true, true],
  ])('offers a %s only what the role allows', async (role, restore, purge) => {
    serve(role);
    render(<TrashPage vault="v1" />);
    await screen.findByText('/old.txt');
    await waitFor(() => expect(screen.queryByText('Family')).not.toBeNull());
    expect(screen.queryByRole('button', { name: 'Restore /old.txt' }) !== null).toBe(restore);
    expect(screen.queryByRole('button', { name: 'Purge /old.txt' }) !== null).toBe(purge);
    expect(screen.queryByRole('button', { name: 'Empty the trash' }) !== null).toBe(purge);
  });
});
