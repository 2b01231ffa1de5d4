import { useState } from 'react';
import { sharing } from '../api/dupa';
import type { CreatedLink, LinkKind, ShareLink, Vault } from '../api/types';
import { formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { canManage as mayManage } from '../lib/roles';
import { Dialog, ErrorMessage, Spinner } from './common';

const roleHelp: Record<string, string> = {
  viewer: 'Viewer: sees and downloads',
  editor: 'Editor: also uploads, moves and deletes to the trash',
  manager: 'Manager: also shares, makes links and sets the policy',
};

/**
 * Who has access to a vault (role, added when and by whom), its public links with their use, and who did what.
 * Managers and the owner change access and links; everyone with access sees them.
 */
export function ShareDialog({ vault, open, onClose }: { vault: Vault; open: boolean; onClose: () => void }) {
  const canManage = mayManage(vault.role);
  const members = useLoad(() => (open ? sharing.members(vault.id) : Promise.resolve([])), [vault.id, open]);
  const links = useLoad(() => (open && canManage ? sharing.links(vault.id) : Promise.resolve([])), [vault.id, open, canManage]);
  const audit = useLoad(() => (open ? sharing.audit(vault.id) : Promise.resolve([])), [vault.id, open]);
  const change = useAction();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('viewer');
  const reloadAll = () => {
    members.reload();
    links.reload();
    audit.reload();
  };

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    if (await change.run(() => sharing.share(vault.id, username.trim(), role))) {
      setUsername('');
      reloadAll();
    }
  };

  return (
    <Dialog title={`Sharing: ${vault.name}`} open={open} onClose={onClose}>
      <section aria-labelledby="people-title">
        <h3 id="people-title">People with access</h3>
        <ErrorMessage error={members.error ?? change.error} />
        {members.loading && !members.data ? <Spinner /> : null}
        <table className="members">
          <thead>
            <tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Added</th>{canManage ? <th scope="col"><span className="sr-only">Actions</span></th> : null}</tr>
          </thead>
          <tbody>
            {members.data?.map((m) => (
              <tr key={m.username}>
                <td>
                  {m.username}
                  {m.needsReshare ? <span className="badge warn" title="An admin reset their password: the copy of the vault key they had opens no more.">needs sharing again</span> : null}
                  {m.passwordSetByAdmin ? <span className="badge" title="An admin chose their password and they have not changed it yet; when they do, what is shared with them moves to a key only they can open.">password set by admin</span> : null}
                </td>
                <td>
                  {canManage && m.role !== 'owner' ? (
                    <select aria-label={`Role of ${m.username}`} value={m.role} disabled={change.busy}
                      onChange={(e) => void change.run(() => sharing.share(vault.id, m.username, e.target.value)).then(reloadAll)}>
                      <option value="viewer">viewer</option>
                      <option value="editor">editor</option>
                      <option value="manager">manager</option>
                    </select>
                  ) : m.role}
                </td>
                <td>{m.addedBy ? `${formatDate(m.addedAt)} by ${m.addedBy}` : `created ${formatDate(m.addedAt)}`}</td>
                {canManage ? (
                  <td>
                    {m.needsReshare ? (
                      <button type="button" disabled={change.busy} aria-label={`Share again with ${m.username}`}
                        onClick={() => void change.run(() => sharing.share(vault.id, m.username, m.role)).then(reloadAll)}>
                        Share again
                      </button>
                    ) : null}
                    {m.role !== 'owner' ? (
                      <button type="button" className="secondary" disabled={change.busy} aria-label={`Remove ${m.username}`}
                        onClick={() => void change.run(() => sharing.remove(vault.id, m.username)).then(reloadAll)}>
                        Remove
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {canManage ? (
          <form className="inline-form" onSubmit={add}>
            <label>
              Share with (username)
              <input value={username} onChange={(e) => setUsername(e.target.value)} required maxLength={64} autoComplete="off" />
            </label>
            <label>
              Role
              <select aria-label="Role for the new member" value={role} onChange={(e) => setRole(e.target.value)}>
                <option value="viewer">viewer</option>
                <option value="editor">editor</option>
                <option value="manager">manager</option>
              </select>
            </label>
            <button type="submit" disabled={change.busy}>Share</button>
            <p className="muted">{roleHelp[role]}. They open the vault with their own password; removing them ends their access at once.</p>
          </form>
        ) : null}
      </section>

      {vault.role === 'owner' ? <RotateKeySection vault={vault} onRotated={audit.reload} /> : null}

      {canManage ? <LinksSection vault={vault} links={links} onChange={reloadAll} /> : null}

      <section aria-labelledby="activity-title">
        <h3 id="activity-title">Activity</h3>
        <ErrorMessage error={audit.error} />
        <ul className="activity">
          {audit.data?.map((e, i) => (
            <li key={i}>
              <span className="muted">{formatDate(e.at)}</span> <strong>{e.actor}</strong> {e.action}
              {e.target ? ` ${e.target}` : ''}{e.path ? ` ${e.path}` : ''}
            </li>
          ))}
          {audit.data?.length === 0 ? <li className="muted">Nothing yet.</li> : null}
        </ul>
      </section>
    </Dialog>
  );
}

/**
 * The owner rotates the vault's key after removing someone (docs/sharing.md, Key rotation): data written from now on
 * is sealed under a new key that the people still sharing the vault are given, and those removed are not.
 */
function RotateKeySection({ vault, onRotated }: { vault: Vault; onRotated: () => void }) {
  const action = useAction();
  const [passphrase, setPassphrase] = useState('');
  const [epoch, setEpoch] = useState<number | null>(null);

  const rotate = async (e: React.FormEvent) => {
    e.preventDefault();
    const rotated = await action.run(() => sharing.rotateKey(vault.id, passphrase));
    setPassphrase('');
    if (rotated) {
      setEpoch(rotated.epoch);
      onRotated();
    }
  };

  return (
    <section aria-labelledby="rotate-title">
      <h3 id="rotate-title">Vault key</h3>
      <p className="muted">
        After removing someone, rotate the key: what is written from now on is sealed under a new key that only the people who still
        have access are given. Nothing is re-encrypted, so what they could open before stays open to them.
      </p>
      <ErrorMessage error={action.error} />
      <form className="inline-form" onSubmit={rotate}>
        <label>
          Vault passphrase
          <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required autoComplete="current-password" />
        </label>
        <button type="submit" disabled={action.busy}>Rotate key</button>
      </form>
      {epoch !== null ? <p role="status">Key rotated: new data is sealed under key epoch {epoch}.</p> : null}
    </section>
  );
}

function LinksSection({ vault, links, onChange }: { vault: Vault; links: { data?: ShareLink[]; error: unknown }; onChange: () => void }) {
  const action = useAction();
  const [path, setPath] = useState('/');
  const [kind, setKind] = useState<LinkKind>('read');
  const [password, setPassword] = useState('');
  const [expires, setExpires] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [created, setCreated] = useState<CreatedLink | null>(null);
  const fullUrl = created ? `${window.location.origin}${created.url}` : '';

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    const made = await action.run(() => sharing.createLink(vault.id, {
      path: path.trim() || '/',
      kind,
      password: password || undefined,
      expiresAt: expires ? new Date(expires).toISOString() : undefined,
      maxUses: maxUses ? Number(maxUses) : undefined,
    }));
    if (made) {
      setCreated(made);
      setPassword('');
      onChange();
    }
  };

  return (
    <section aria-labelledby="links-title">
      <h3 id="links-title">Links</h3>
      <p className="muted">A link follows its file or folder when it is moved or renamed; while it is in the trash, the link answers that it is gone.</p>
      <ErrorMessage error={links.error ?? action.error} />
      <ul className="links">
        {links.data?.map((l) => (
          <li key={l.id} className={l.state === 'active' ? '' : 'muted'}>
            <span>
              <strong>{l.kind === 'drop' ? 'File drop' : 'Link'}</strong> {l.path} · {l.state === 'trashed' ? 'in the trash (restore it to revive the link)' : l.state}
              {l.hasPassword ? ' · password' : ''} · {l.uses}{l.maxUses ? `/${l.maxUses}` : ''} uses
              {l.lastUsedAt ? `, last ${formatDate(l.lastUsedAt)}` : ''}
              {l.expiresAt ? ` · until ${formatDate(l.expiresAt)}` : ''} · by {l.createdBy}
            </span>
            {l.state === 'active' || l.state === 'trashed' ? (
              <button type="button" className="secondary" disabled={action.busy} aria-label={`Revoke link ${l.id}`}
                onClick={() => void action.run(() => sharing.revokeLink(vault.id, l.id)).then(onChange)}>
                Revoke
              </button>
            ) : null}
          </li>
        ))}
        {links.data?.length === 0 ? <li className="muted">No links yet.</li> : null}
      </ul>
      <form className="inline-form" onSubmit={create}>
        <label>
          File or folder
          <input value={path} onChange={(e) => setPath(e.target.value)} required />
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as LinkKind)}>
            <option value="read">view and download</option>
            <option value="drop">file drop (upload only)</option>
          </select>
        </label>
        <label>
          Link password (optional)
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
        </label>
        <label>
          Expires (optional)
          <input type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <label>
          Use limit (optional)
          <input type="number" min={1} value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
        <button type="submit" disabled={action.busy}>Create link</button>
      </form>
      {created ? (
        <div className="card">
          <p>Anyone with this link can {created.link.kind === 'drop' ? 'upload files to' : 'open'} <strong>{created.link.path}</strong>. It is shown only now.</p>
          <pre className="secret" aria-label="New link">{fullUrl}</pre>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(fullUrl)}>Copy link</button>
        </div>
      ) : null}
    </section>
  );
}
