import { useState } from 'react';
import { vaults } from '../api/dupa';
import type { CreatedVault, Vault } from '../api/types';
import { Dialog, ErrorMessage, Link, Spinner } from '../components/common';
import { ShareDialog } from '../components/ShareDialog';
import { UnlockForm } from '../components/UnlockForm';
import { formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { canManage } from '../lib/roles';
import { filesHref } from '../lib/router';

export function VaultsPage() {
  const list = useLoad(() => vaults.list(), []);
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [created, setCreated] = useState<CreatedVault | null>(null);
  const create = useAction();
  const lock = useAction();
  const [sharingOf, setSharingOf] = useState<Vault | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (passphrase !== confirm) {
      create.setError(new Error('The two passphrases differ.'));
      return;
    }
    const made = await create.run(async () => {
      const vault = await vaults.create(name.trim(), passphrase);
      // A new vault is opened at once: nobody creates a vault to look at it locked.
      await vaults.unlock(vault.id, passphrase);
      return vault;
    });
    if (made) {
      setCreated(made);
      setName('');
      setPassphrase('');
      setConfirm('');
      list.reload();
    }
  };

  return (
    <section aria-labelledby="vaults-title">
      <h1 id="vaults-title">Your vaults</h1>
      <ErrorMessage error={list.error ?? lock.error} />
      {list.loading && !list.data ? <Spinner /> : null}
      {list.data && list.data.length === 0 ? <p className="muted">No vault yet. Create one below.</p> : null}
      <ul className="vaults">
        {list.data?.map((v) => (
          <li key={v.id} className="card vault">
            <div className="vault-head">
              <h2>{v.unlocked ? <Link href={filesHref(v.id, '/')}>{v.name}</Link> : v.name}</h2>
              <span className={v.unlocked ? 'badge ok' : 'badge'}>{v.unlocked ? 'Unlocked' : 'Locked'}</span>
              {v.role !== 'owner' ? <span className="badge">Shared by {v.owner} · {v.role}</span> : null}
              {v.needsReshare ? <span className="badge warn">Needs sharing again</span> : null}
            </div>
            <p className="muted">Created {formatDate(v.createdAt)}</p>
            {v.unlocked ? (
              <div className="actions">
                <Link className="button" href={filesHref(v.id, '/')}>Open files</Link>
                <Link className="button secondary" href={`/v/${v.id}/search`}>Search</Link>
                <Link className="button secondary" href={`/v/${v.id}/trash`}>Trash</Link>
                <button type="button" className="secondary" onClick={() => setSharingOf(v)} aria-label={`Sharing of ${v.name}`}>Sharing</button>
                {canManage(v.role) ? (
                  <button type="button" className="secondary" disabled={lock.busy} onClick={() => void lock.run(() => vaults.lock(v.id)).then(list.reload)}>
                    Lock
                  </button>
                ) : null}
              </div>
            ) : v.needsReshare ? (
              <p className="notice" role="status">
                You cannot unlock this vault yourself: it was shared with a sharing key you no longer have, because an admin reset your
                password. Ask {v.owner} (or a manager of it) to share it with you again. Your own vaults still open with their passphrases or recovery keys.
              </p>
            ) : (
              <UnlockForm vault={v.id} name={v.name} onUnlocked={list.reload} shared={v.role !== 'owner'} />
            )}
          </li>
        ))}
      </ul>

      <form className="card" onSubmit={submit} aria-labelledby="create-title">
        <h2 id="create-title">Create a vault</h2>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <label>
          Passphrase
          <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required autoComplete="new-password" />
        </label>
        <label>
          Repeat the passphrase
          <input type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required autoComplete="new-password" />
        </label>
        <p className="muted">The passphrase encrypts the vault. The node cannot recover it for you; keep the recovery key shown next.</p>
        <ErrorMessage error={create.error} />
        <button type="submit" disabled={create.busy}>{create.busy ? 'Creating…' : 'Create vault'}</button>
      </form>

      {sharingOf ? <ShareDialog vault={sharingOf} open onClose={() => setSharingOf(null)} /> : null}

      <Dialog title="Keep this recovery key" open={created !== null} onClose={() => setCreated(null)}>
        <p>
          The vault <strong>{created?.name}</strong> is ready. This recovery key opens it if the passphrase is lost. It is shown
          only now: write it down or store it in a password manager.
        </p>
        <pre className="secret" aria-label="Recovery key">{created?.recoveryKey}</pre>
        <div className="actions">
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created?.recoveryKey ?? '')}>Copy</button>
          {created ? <Link className="button secondary" href={filesHref(created.id, '/')} onClick={() => setCreated(null)}>I have kept it; open the vault</Link> : null}
        </div>
      </Dialog>
    </section>
  );
}
