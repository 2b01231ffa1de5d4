import { useState } from 'react';
import { peers } from '../api/dupa';
import type { Peer } from '../api/types';
import { ErrorMessage, Spinner } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';

/** This node's device ID, and for the admin its peers: pin, unpin, pair by invite code, and their state. */
export function PeersSection({ isAdmin }: { isAdmin: boolean }) {
  const id = useLoad(() => peers.nodeId(), []);
  return (
    <section className="card" aria-labelledby="node-title">
      <h2 id="node-title">This node</h2>
      <ErrorMessage error={id.error} />
      {id.data ? (
        <>
          <p>Device ID, for peers to pin:</p>
          <p><code aria-label="Device ID" className="device-id">{id.data.deviceId}</code></p>
          <p className="muted">{id.data.peerListen ? `Listening for peers on ${id.data.peerListen}.` : 'Not listening for peers (start the node with --peer-listen HOST:PORT).'}</p>
        </>
      ) : <Spinner />}
      {isAdmin ? <PeerList /> : null}
    </section>
  );
}

/** "connected", or "connected via NAME" when this node reached the peer through a relay (docs/protocol.md, Relaying). */
function connectedVia(peer: Peer, all: Peer[]): string {
  if (!peer.via) return 'connected';
  return `connected via ${all.find((r) => r.deviceId === peer.via)?.name ?? peer.via.slice(0, 7)}`;
}

function PeerList() {
  const status = useLoad(() => peers.status(), []);
  const action = useAction();
  const [deviceId, setDeviceId] = useState('');
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [invite, setInvite] = useState<string | null>(null);

  const pin = async (e: React.FormEvent) => {
    e.preventDefault();
    if (await action.run(() => peers.pin(deviceId.trim(), address.trim())) !== undefined) {
      setDeviceId('');
      setAddress('');
      status.reload();
    }
  };
  const join = async (e: React.FormEvent) => {
    e.preventDefault();
    if (await action.run(() => peers.join(code.trim())) !== undefined) {
      setCode('');
      status.reload();
    }
  };

  return (
    <>
      <h3>Peers</h3>
      <ErrorMessage error={status.error ?? action.error} />
      {status.data && status.data.peers.length === 0 ? <p className="muted">No peers yet.</p> : null}
      {status.data ? (
        <ul className="plain" aria-label="Peers">
          {status.data.peers.map((p) => (
            <li key={p.deviceIdHex} className="row">
              <span>
                <strong>{p.name}</strong> <code className="muted">{p.deviceId}</code>
                <span className="muted">
                  {' '}· {p.address ?? 'dials us'} · {p.connected ? connectedVia(p, status.data?.peers ?? []) : p.lastError ? `not connected (${p.lastError})` : 'not connected yet'}
                  {p.relays ? ' · relays' : ''}
                  {p.lastSeen ? ` · last seen ${formatDate(p.lastSeen)}` : ''}
                </span>
              </span>
              <button type="button" className="danger" aria-label={`Remove peer ${p.name}`}
                onClick={() => void action.run(() => peers.unpin(p.deviceIdHex)).then(status.reload)}>Remove</button>
            </li>
          ))}
          {status.data.replicas.map((r) => (
            <li key={r.vaultId} className="row muted">
              Replica of vault {r.vaultId}: {r.lastError ? `error: ${r.lastError}` : r.bytesBehind === 0 ? 'up to date' : `${formatBytes(r.bytesBehind)} behind`}
            </li>
          ))}
        </ul>
      ) : <Spinner />}
      <form onSubmit={(e) => void pin(e)} className="stack">
        <label>Peer's device ID<input value={deviceId} onChange={(e) => setDeviceId(e.target.value)} required placeholder="XXXXXXX-XXXXXXX-…" /></label>
        <label>Its address (optional)<input value={address} onChange={(e) => setAddress(e.target.value)} placeholder="host:22000" /></label>
        <button type="submit" disabled={action.busy}>Pin peer</button>
      </form>
      <div className="stack">
        <button type="button" disabled={action.busy} onClick={() => void action.run(() => peers.invite()).then((made) => made && setInvite(made.code))}>Make a pairing code</button>
        {invite ? <p><code aria-label="Pairing code" className="device-id">{invite}</code><br /><span className="muted">Works once, for a day: paste it on the other node.</span></p> : null}
      </div>
      <form onSubmit={(e) => void join(e)} className="stack">
        <label>Pairing code from another node<input value={code} onChange={(e) => setCode(e.target.value)} required placeholder="dupa-invite:…" /></label>
        <button type="submit" disabled={action.busy}>Pair</button>
      </form>
    </>
  );
}
