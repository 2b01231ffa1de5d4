import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeersSection } from './PeersSection';

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const peer = (name: string, extra: object) => ({
  deviceId: `${name.toUpperCase()}AAAAAA-BBBBBBB`, deviceIdHex: name.repeat(64).slice(0, 64), name, address: null, addedAt: '2026-11-01T00:00:00Z',
  connected: true, lastSeen: null, lastError: null, ...extra,
});

afterEach(() => vi.unstubAllGlobals());

describe('PeersSection', () => {
  it('says through which relay a peer is connected, and which peers relay', async () => {
    const relay = peer('c', { relays: true, via: null, address: '10.0.0.3:22000' });
    vi.stubGlobal('fetch', vi.fn(async (url: string) => url.includes('/node/id')
      ? json({ deviceId: 'AAAAAAA-AAAAAAA', deviceIdHex: 'a'.repeat(64), peerListen: '0.0.0.0:22000' })
      : json({ deviceId: 'AAAAAAA-AAAAAAA', peerListen: null, peers: [peer('b', { via: relay.deviceId }), relay], replicas: [], audits: [] })));
    render(<PeersSection isAdmin />);
    expect(await screen.findByText(/connected via c/)).not.toBeNull();
    expect(screen.getByText(/10\.0\.0\.3:22000 · connected · relays/)).not.toBeNull();
  });
});
