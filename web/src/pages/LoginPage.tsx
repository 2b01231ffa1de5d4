import { useState } from 'react';
import { api } from '../api/client';
import { ErrorMessage } from '../components/common';
import { useAction } from '../lib/hooks';

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void run(() => api.login(username, password));
  };

  return (
    <main className="center">
      <form className="card narrow" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Log in to D.U.P.A</h1>
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="username" autoFocus />
        </label>
        <label>
          Password
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
