import { useState } from 'react';
import { vaults } from '../api/dupa';
import { ErrorMessage } from './common';
import { useAction } from '../lib/hooks';

/** Unlocks a vault: your own with its passphrase; one shared with you with your account password (docs/sharing.md). */
export function UnlockForm({ vault, name, onUnlocked, shared = false }: { vault: string; name: string; onUnlocked: () => void; shared?: boolean }) {
  const [passphrase, setPassphrase] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if ((await run(() => (shared ? vaults.unlockShared(vault, passphrase) : vaults.unlock(vault, passphrase)).then(() => true))) === true) {
      setPassphrase('');
      onUnlocked();
    }
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        {shared ? `Your password, to open ${name}` : `Passphrase for ${name}`}
        <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required autoComplete="off" />
      </label>
      <button type="submit" disabled={busy}>{busy ? 'Unlocking…' : 'Unlock'}</button>
      <ErrorMessage error={error} />
    </form>
  );
}
