import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Vault } from '../api/types';
import { ShareDialog } from '../components/ShareDialog';
import { VersionsPanel } from '../components/VersionsPanel';
import { BrowserPage } from './BrowserPage';
import { SearchPage } from './SearchPage';
import { VaultsPage } from './VaultsPage';

// Each page offers a role only what the node allows it (docs/sharing.md, Roles): a viewer no write action, an
// editor no sharing, link or policy action. The node refuses the rest with 403 anyway (the permission matrix test).

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const vault = (role: string, extra: Partial<Vault> = {}): Vault =>
  ({ id: 'v1', name: 'Family', unlocked: true, role, owner: 'alice', createdAt: '2026-11-01T00:00:00Z', ...extra }) as Vault;
const file = { name: 'notes.txt', path: '/notes.txt', type: 'file', size: 5, modified: '2026-11-20T10:00:00Z', versions: 2, version: 'v2', tags: ['work'] };

/** A node that answers the calls these pages make, for a caller with the given role. */
function serve(role: string, extra: Partial<Vault> = {}) {
  const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => {
    if (url.startsWith('/api/v1/vaults/v1/tree/')) return json({ path: '/', type: 'dir', entries: [file] });
    if (url.startsWith('/api/v1/vaults/v1/versions/')) {
      return json([1, 2].map((version) => ({ version, id: `v${version}`, size: 5, stored: '2026-11-20T10:00:00Z', device: 'abcd' })));
    }
    if (url.startsWith('/api/v1/vaults/v1/search')) {
      return json({ total: 1, offset: 0, hits: [{ ...file, mime: null, version: 2, versionId: 'v2', source: 'current', trashItem: null }] });
    }
    if (url.startsWith('/api/v1/vaults/v1/members')) {
      return json([
        { username: 'alice', role: 'owner', addedAt: '2026-11-01T00:00:00Z', addedBy: null },
        { username: 'bob', role: 'editor', addedAt: '2026-11-02T00:00:00Z', addedBy: 'alice', needsReshare: true, passwordSetByAdmin: true },
      ]);
    }
    if (url.startsWith('/api/v1/vaults/v1/links')) return json([]);
    if (url === '/api/v1/vaults/v1/rotate-key') return json({ epoch: 1 });
    if (url.startsWith('/api/v1/vaults/v1/audit')) return json([]);
    if (url.startsWith('/api/v1/vaults/v1/files/')) return new Response('hello', { status: 200, headers: { 'Content-Type': 'text/plain' } });
    if (url === '/api/v1/vaults') return json([vault(role, extra)]);
    return new Response(null, { status: 404 });
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

const has = (name: string | RegExp) => screen.queryByRole('button', { name }) !== null;

afterEach(() => vi.unstubAllGlobals());

// jsdom has <dialog> but not its modal methods: open it the way a browser would, so its content is accessible.
beforeAll(() => {
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
});

describe('BrowserPage', () => {
  it.each([
    ['viewer', false, false],
    ['editor', true, false],
    ['manager', true, true],
    ['owner', true, true],
  ])('offers a %s write actions: %s, sharing: %s', async (role, write, share) => {
    const fetchMock = serve(role);
    render(<BrowserPage vault="v1" path="/" at={null} />);
    await screen.findByText('notes.txt');
    await waitFor(() => expect(fetchMock.mock.calls.some(([u]) => u === '/api/v1/vaults')).toBe(true));
    await waitFor(() => expect(has('Download folder')).toBe(true));
    // The vault list (and with it the role) arrives after the listing: wait for what the role allows.
    if (write) await screen.findByRole('button', { name: 'Upload files' });
    expect(has('Upload files')).toBe(write);
    expect(has('Upload folder')).toBe(write);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Select notes.txt' }));
    expect(has('Move')).toBe(write);
    expect(has('Delete')).toBe(write);
    expect(has('Download')).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'notes.txt' }));
    await screen.findByRole('tab', { name: 'Preview' });
    expect(has('Rename or move')).toBe(write);
    expect(has('Make a link')).toBe(share);
    fireEvent.click(screen.getByRole('tab', { name: 'Versions' }));
    await screen.findByRole('button', { name: 'Download version 1' });
    expect(has('Restore version 1')).toBe(write);
  });

  it('offers an owner nothing that writes in the past', async () => {
    const fetchMock = serve('owner');
    render(<BrowserPage vault="v1" path="/" at="2026-11-01T00:00:00Z" />);
    await screen.findByText(/Read-only/);
    await waitFor(() => expect(fetchMock.mock.calls.some(([u]) => u === '/api/v1/vaults')).toBe(true));
    await screen.findByText('Family');
    expect(has('Upload files')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'notes.txt' }));
    await screen.findByRole('tab', { name: 'Preview' });
    expect(has('Make a link')).toBe(false);
    expect(has('Rename or move')).toBe(false);
  });

  it('offers nothing that writes while the role is unknown', async () => {
    const fetchMock = serve('owner');
    fetchMock.mockImplementation(async (url: string) =>
      url === '/api/v1/vaults' ? new Promise<Response>(() => {}) : json({ path: '/', type: 'dir', entries: [file] }));
    render(<BrowserPage vault="v1" path="/" at={null} />);
    await screen.findByText('notes.txt');
    expect(has('Upload files')).toBe(false);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select notes.txt' }));
    expect(has('Delete')).toBe(false);
  });
});

describe('VersionsPanel', () => {
  it('offers restoring an old version only when not read-only', async () => {
    serve('viewer');
    const { rerender } = render(<VersionsPanel vault="v1" entry={file as never} onRestored={() => {}} readOnly />);
    await screen.findByRole('button', { name: 'Download version 1' });
    expect(has('Restore version 1')).toBe(false);
    rerender(<VersionsPanel vault="v1" entry={file as never} onRestored={() => {}} readOnly={false} />);
    expect(has('Restore version 1')).toBe(true);
  });
});

describe('SearchPage', () => {
  it.each([
    ['viewer', false],
    ['editor', true],
    ['manager', true],
  ])('lets a %s edit tags: %s', async (role, editable) => {
    const fetchMock = serve(role);
    render(<SearchPage vault="v1" initial="notes" />);
    await screen.findByText('/notes.txt');
    await waitFor(() => expect(fetchMock.mock.calls.some(([u]) => u === '/api/v1/vaults')).toBe(true));
    await waitFor(() => expect(screen.queryByText('#work')).not.toBeNull());
    if (editable) await screen.findByLabelText('Add a tag to /notes.txt');
    expect(screen.queryByLabelText('Add a tag to /notes.txt') !== null).toBe(editable);
    expect(has('Remove tag work from /notes.txt')).toBe(editable);
  });
});

describe('ShareDialog', () => {
  it.each([
    ['viewer', false],
    ['editor', false],
    ['manager', true],
    ['owner', true],
  ])('lets a %s change access and links: %s', async (role, manage) => {
    serve(role);
    render(<ShareDialog vault={vault(role)} open onClose={() => {}} />);
    await screen.findByText('needs sharing again');
    expect(screen.getByText('password set by admin')).not.toBeNull();
    expect(has('Share')).toBe(manage);
    expect(has('Remove bob')).toBe(manage);
    expect(has('Share again with bob')).toBe(manage);
    expect(screen.queryByRole('combobox', { name: 'Role of bob' }) !== null).toBe(manage);
    expect(has('Create link')).toBe(manage);
    expect(screen.queryByRole('heading', { name: 'Links' }) !== null).toBe(manage);
    expect(has('Rotate key')).toBe(role === 'owner');
  });

  it('lets the owner rotate the key with the vault passphrase, and says what it did', async () => {
    const fetchMock = serve('owner');
    render(<ShareDialog vault={vault('owner')} open onClose={() => {}} />);
    fireEvent.change(await screen.findByLabelText('Vault passphrase'), { target: { value: 'vault words' } });
    fireEvent.click(screen.getByRole('button', { name: 'Rotate key' }));
    await screen.findByText('Key rotated: new data is sealed under key epoch 1.');
    const [, init] = fetchMock.mock.calls.find(([u]) => u === '/api/v1/vaults/v1/rotate-key')!;
    expect(init!.method).toBe('POST');
    expect(JSON.parse(init!.body as string)).toEqual({ passphrase: 'vault words' });
    expect((screen.getByLabelText('Vault passphrase') as HTMLInputElement).value).toBe('');
  });

  it('shares again with the same role, which wraps the key to the member\'s new key pair', async () => {
    const fetchMock = serve('owner');
    render(<ShareDialog vault={vault('owner')} open onClose={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Share again with bob' }));
    const isShare = ([u, init]: [string, RequestInit?]) => u === '/api/v1/vaults/v1/members/bob' && init?.method === 'PUT';
    await waitFor(() => expect(fetchMock.mock.calls.some(isShare)).toBe(true));
    const [, init] = fetchMock.mock.calls.find(isShare)!;
    expect(JSON.parse(init!.body as string)).toEqual({ role: 'editor' });
  });
});

describe('VaultsPage', () => {
  it('says plainly that a vault must be shared again, instead of offering an unlock that cannot work', async () => {
    serve('editor', { unlocked: false, needsReshare: true });
    render(<VaultsPage />);
    await screen.findByText('Needs sharing again');
    expect(screen.getByText(/Ask alice \(or a manager of it\) to share it with you again/)).not.toBeNull();
    expect(has('Unlock')).toBe(false);
  });

  it('offers a viewer no lock, and a manager one', async () => {
    serve('viewer');
    const { unmount } = render(<VaultsPage />);
    await screen.findByRole('button', { name: 'Sharing of Family' });
    expect(has('Lock')).toBe(false);
    unmount();
    serve('manager');
    render(<VaultsPage />);
    await screen.findByRole('button', { name: 'Sharing of Family' });
    expect(has('Lock')).toBe(true);
  });
});
