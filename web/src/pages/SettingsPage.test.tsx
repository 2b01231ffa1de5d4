import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SettingsPage } from './SettingsPage';

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const users = [
  { id: 'u-admin', username: 'admin', role: 'admin', quotaBytes: 0, createdAt: '2026-11-01T00:00:00Z' },
  { id: 'u-bob', username: 'bob', role: 'user', quotaBytes: 0, createdAt: '2026-11-02T00:00:00Z' },
];

function serve(passwordSetByAdmin: boolean) {
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === '/api/v1/auth/me') return json({ id: 'u-admin', username: 'admin', role: 'admin', quotaBytes: 0, usedBytes: 0, passwordSetByAdmin });
    if (url === '/api/v1/users') return json(users);
    if (url === '/api/v1/users/u-bob/password' && init?.method === 'POST') {
      return json({ username: 'bob', sharedVaultsToReshare: 2, notice: 'The 2 vault(s) shared with them cannot be opened until each owner shares them again.' });
    }
    if (url === '/api/v1/node/id') return json({ deviceId: 'ABCD', deviceIdHex: 'abcd', peerListen: null });
    if (url === '/api/v1/status') return json({ deviceId: 'ABCD', peerListen: null, peers: [], replicas: [], audits: [] });
    return json([]);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => vi.unstubAllGlobals());

describe('SettingsPage', () => {
  it('tells a user whose password an admin chose to change it', async () => {
    serve(true);
    render(<SettingsPage user={{ id: 'u-admin', username: 'admin', role: 'admin' }} />);
    expect(await screen.findByText(/An admin chose your current password/)).not.toBeNull();
  });

  it('resets another user\'s password only after saying what it costs, then shows what it did', async () => {
    const fetchMock = serve(false);
    const confirm = vi.fn(() => true);
    vi.stubGlobal('confirm', confirm);
    render(<SettingsPage user={{ id: 'u-admin', username: 'admin', role: 'admin' }} />);
    // No reset form for the admin's own account: that is the password form above.
    await screen.findByLabelText('New password for bob');
    expect(screen.queryByLabelText('New password for admin')).toBeNull();
    expect(screen.queryByText(/An admin chose your current password/)).toBeNull();

    fireEvent.change(screen.getByLabelText('New password for bob'), { target: { value: 'temporary-pass' } });
    fireEvent.click(screen.getByRole('button', { name: 'Reset password' }));

    expect(await screen.findByText(/cannot be opened until each owner shares them again/)).not.toBeNull();
    expect(confirm).toHaveBeenCalledWith(expect.stringMatching(/must be shared with them again/));
    const call = fetchMock.mock.calls.find(([u]) => u === '/api/v1/users/u-bob/password')!;
    expect(JSON.parse((call[1] as RequestInit).body as string)).toEqual({ password: 'temporary-pass' });
  });

  it('does nothing when the admin thinks better of it', async () => {
    const fetchMock = serve(false);
    vi.stubGlobal('confirm', vi.fn(() => false));
    render(<SettingsPage user={{ id: 'u-admin', username: 'admin', role: 'admin' }} />);
    fireEvent.change(await screen.findByLabelText('New password for bob'), { target: { value: 'temporary-pass' } });
    fireEvent.click(screen.getByRole('button', { name: 'Reset password' }));
    await waitFor(() => expect(screen.getByLabelText('New password for bob')).not.toBeNull());
    expect(fetchMock.mock.calls.some(([u]) => u === '/api/v1/users/u-bob/password')).toBe(false);
  });
});
