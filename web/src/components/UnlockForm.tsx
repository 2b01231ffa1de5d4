import { useState } from 'react';
import { vaults } from '../api/dupa';
import { ErrorMessage } from './common';
import { useAction } from '../lib/hooks';

export function UnlockForm({ vault, name, onUnlocked }: { vault: string; name: string; onUnlocked: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if ((await run(() => vaults.unlock(vault, passphrase).then(() => true))) === true) {
      setPassphrase('');
      onUnlocked();
    }
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Passphrase for {name}
        <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required autoComplete="off" />
      </label>
      <button type="submit" disabled={busy}>{busy ? 'Unlocking…' : 'Unlock'}</button>
      <ErrorMessage error={error} />
    </form>
  );
}
