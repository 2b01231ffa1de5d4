import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LinkPage } from './LinkPage';

const secret = 'A'.repeat(43);
const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });
const problem = (status: number, code: string) => json(status, { status, code, detail: code }, 'application/problem+json');

afterEach(() => vi.unstubAllGlobals());

describe('LinkPage', () => {
  it('asks for the password, then lists the folder with download links that carry the access token', async () => {
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      if (url.endsWith('/access')) return json(200, { access: 'token-1', expiresAt: '2030-01-01T00:00:00Z' });
      if (headers['X-Dupa-Link-Access'] !== 'token-1') return problem(401, 'password_required');
      if (url === `/api/v1/links/${secret}`) return json(200, { kind: 'read', name: 'Trip', type: 'dir', size: null, mime: null, expiresAt: null, usesLeft: null });
      return json(200, { path: '/', entries: [{ name: 'a b.txt', path: '/a b.txt', type: 'file', size: 5, modified: '2024-01-01T00:00:00Z', mime: 'text/plain' }] });
    });
    vi.stubGlobal('fetch', fetchMock);
    render(<LinkPage secret={secret} />);

    fireEvent.change(await screen.findByLabelText('Link password'), { target: { value: 'open sesame' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));

    const download = await screen.findByRole('link', { name: 'Download a b.txt' });
    expect(download.getAttribute('href')).toBe(`/api/v1/links/${secret}/files/a%20b.txt?access=token-1`);
    expect(screen.getByRole('link', { name: 'Download all (zip)' }).getAttribute('href')).toBe(`/api/v1/links/${secret}/zip/?access=token-1`);
    const access = fetchMock.mock.calls.find(([u]) => u.endsWith('/access'))!;
    expect(JSON.parse(access[1]!.body as string)).toEqual({ password: 'open sesame' });
  });

  it('shows a drop link as an upload box and never asks to list it', async () => {
    const fetchMock = vi.fn(async (url: string) => url.endsWith('/upload')
      ? json(200, { stored: ['report.pdf'] })
      : json(200, { kind: 'drop', name: 'Inbox', type: 'dir', size: null, mime: null, expiresAt: null, usesLeft: 3 }));
    vi.stubGlobal('fetch', fetchMock);
    render(<LinkPage secret={secret} />);

    const input = await screen.findByLabelText('Files to send');
    fireEvent.change(input, { target: { files: [new File(['x'], 'report.pdf')] } });
    fireEvent.click(screen.getByRole('button', { name: /Send 1 file/ }));

    await screen.findByText('Sent: report.pdf');
    expect(fetchMock.mock.calls.map(([u]) => u)).toEqual([`/api/v1/links/${secret}`, `/api/v1/links/${secret}/upload`]);
  });

  it('says a dead link is gone, without telling why', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => problem(404, 'not_found')));
    render(<LinkPage secret={secret} />);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('This link does not exist, or it has expired or been revoked.'));
  });

  it('tells a visitor plainly when what the link points to is in the trash', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => problem(410, 'link_target_trashed')));
    render(<LinkPage secret={secret} />);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('What this link points to has been moved to the trash. Ask whoever sent the link.'));
  });
});
