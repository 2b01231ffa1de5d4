import { useState } from 'react';
import { api } from '../api/client';
import { ErrorMessage } from '../components/common';
import { useAction } from '../lib/hooks';

/** First run: the node printed a one-time setup token; whoever has it creates the admin account. */
export function SetupPage({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { busy, error, setError, run } = useAction();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setError(new Error('The two passwords differ.'));
      return;
    }
    const ok = await run(async () => {
      await api.setup(token.trim(), username, password);
      await api.login(username, password);
      return true;
    });
    if (ok) onDone();
  };

  return (
    <main className="center">
      <form className="card narrow" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">Set up this node</h1>
        <p className="muted">
          Create the administrator account. The setup token is printed in the node's log at its first start
          (<code>dupa serve</code>).
        </p>
        <label>
          Setup token
          <input value={token} onChange={(e) => setToken(e.target.value)} required autoComplete="off" spellCheck={false} />
        </label>
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="username" pattern="[A-Za-z0-9._\-]{1,64}" />
        </label>
        <label>
          Password (at least 8 characters)
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} autoComplete="new-password" />
        </label>
        <label>
          Repeat the password
          <input type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required minLength={8} autoComplete="new-password" />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create the admin account'}</button>
      </form>
    </main>
  );
}
