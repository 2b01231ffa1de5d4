import { useState } from 'react';
import { account, admin, sharing } from '../api/dupa';
import type { AdminUser, CreatedToken, PasswordReset, User } from '../api/types';
import { ErrorMessage, Spinner } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { PeersSection } from './PeersSection';

export function SettingsPage({ user }: { user: User }) {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <p>Logged in as <strong>{user.username}</strong> ({user.role}).</p>
        <AdminChosenNotice userId={user.id} />
        <PasswordForm />
      </section>
      <LinksMadeSection />
      <TokensSection isAdmin={user.role === 'admin'} />
      <PeersSection isAdmin={user.role === 'admin'} />
      {user.role === 'admin' ? <AdminSection self={user.id} /> : null}
    </section>
  );
}

/** Every public link you made, with how often and when it was used; revoke any of them (docs/sharing.md). */
function LinksMadeSection() {
  const links = useLoad(() => sharing.myLinks(), []);
  const action = useAction();
  return (
    <section className="card" aria-labelledby="links-made-title">
      <h2 id="links-made-title">Links you made</h2>
      <ErrorMessage error={links.error ?? action.error} />
      {links.loading && !links.data ? <Spinner /> : null}
      {links.data?.length === 0 ? <p className="muted">None yet. Make one from a vault's Sharing dialog or a file's panel.</p> : null}
      <ul className="links">
        {links.data?.map((l) => (
          <li key={l.id} className={l.state === 'active' ? '' : 'muted'}>
            <span>
              <strong>{l.vault}</strong> {l.path} · {l.kind === 'drop' ? 'file drop' : 'view and download'} · {l.state === 'trashed' ? 'in the trash' : l.state} · {l.uses}{l.maxUses ? `/${l.maxUses}` : ''} uses
              {l.lastUsedAt ? `, last ${formatDate(l.lastUsedAt)}` : ''}
            </span>
            {l.state === 'active' || l.state === 'trashed' ? (
              <button type="button" className="secondary" disabled={action.busy} aria-label={`Revoke link ${l.id}`}
                onClick={() => void action.run(() => sharing.revokeLink(l.vaultId, l.id)).then(links.reload)}>
                Revoke
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Tells a user whose password an admin chose (a new account, or a reset) to change it (docs/sharing.md, Users' keys). */
function AdminChosenNotice({ userId }: { userId: string }) {
  const me = useLoad(() => account.me(), [userId]);
  if (!me.data?.passwordSetByAdmin) return null;
  return (
    <p className="notice" role="status">
      An admin chose your current password, so they could open your sharing key. Change it below: you then get a new sharing key that only
      your password opens, and every vault shared with you moves to it.
    </p>
  );
}

function PasswordForm() {
  const action = useAction();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const mismatch = repeat.length > 0 && next !== repeat;
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setDone(false);
    if (mismatch) return;
    const result = await action.run(async () => {
      await account.changePassword(current, next);
      return true;
    });
    if (result) {
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="stack" aria-labelledby="password-title">
      <h3 id="password-title">Change password</h3>
      <p className="muted">Your password also seals your sharing key, which opens the vaults others share with you. Changing it here makes you a
        new sharing key and moves every vault shared with you to it. If an admin resets your password instead, your old key is lost: vaults
        shared with you must then be shared again (your own vaults still open with their passphrases or recovery keys).</p>
      <label>Current password<input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required /></label>
      <label>New password, at least 8 characters<input type="password" autoComplete="new-password" minLength={8} value={next} onChange={(e) => setNext(e.target.value)} required /></label>
      <label>Repeat the new password<input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required /></label>
      {mismatch ? <p role="alert" className="error">The two new passwords differ.</p> : null}
      <ErrorMessage error={action.error} />
      {done ? <p role="status">Password changed. Your other sessions are logged out; API tokens keep working.</p> : null}
      <button type="submit" disabled={action.busy || mismatch}>Change password</button>
    </form>
  );
}

function TokensSection({ isAdmin }: { isAdmin: boolean }) {
  const list = useLoad(() => account.tokens(), []);
  const action = useAction();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read', 'write']);
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const token = await action.run(() => account.createToken(name, scopes.join(' '), expires ? new Date(expires).toISOString() : undefined));
    if (token) {
      setCreated(token);
      setName('');
      list.reload();
    }
  };
  const toggle = (scope: string) => setScopes(scopes.includes(scope) ? scopes.filter((s) => s !== scope) : [...scopes, scope]);

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">For scripts and the <code>dupa</code> command line (<code>--remote</code>). A token is shown once, when created.</p>
      <ErrorMessage error={list.error ?? action.error} />
      {list.loading && !list.data ? <Spinner /> : null}
      {list.data && list.data.length > 0 ? (
        <ul className="plain">
          {list.data.map((t) => (
            <li key={t.id} className="row">
              <span><strong>{t.name}</strong> <span className="muted">{t.scopes} · created {formatDate(t.createdAt)}{t.expiresAt ? ` · expires ${formatDate(t.expiresAt)}` : ''}</span></span>
              {t.revoked ? <span className="badge">revoked</span> : (
                <button type="button" className="danger" aria-label={`Revoke token ${t.name}`} onClick={() => void action.run(() => account.revokeToken(t.id)).then(list.reload)}>Revoke</button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label>
          Token name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {['read', 'write', ...(isAdmin ? ['admin'] : [])].map((s) => (
            <label key={s} className="inline">
              <input type="checkbox" checked={scopes.includes(s)} onChange={() => toggle(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label>
          Expires (optional)
          <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <button type="submit" disabled={action.busy || scopes.length === 0}>Create token</button>
      </form>
      {created ? (
        <div className="notice" role="status">
          <p>Your new token (copy it now; it is not shown again):</p>
          <pre className="secret" aria-label="New API token">{created.token}</pre>
          <button type="button" className="secondary" onClick={() => setCreated(null)}>Done</button>
        </div>
      ) : null}
    </section>
  );
}

const GiB = 1024 ** 3;

function AdminSection({ self }: { self: string }) {
  const users = useLoad(() => admin.users(), []);
  const [reset, setReset] = useState<PasswordReset | null>(null);
  const action = useAction();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('user');
  const [quota, setQuota] = useState('');
  const [invite, setInvite] = useState<{ invite: string; expiresAt: string } | null>(null);
  const [days, setDays] = useState('7');

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    const made = await action.run(() => admin.createUser(username, password, role, Math.round(Number(quota || '0') * GiB)));
    if (made) {
      setUsername('');
      setPassword('');
      setQuota('');
      users.reload();
    }
  };

  return (
    <>
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <p className="muted">The admin manages accounts and quotas, never their files.</p>
        <ErrorMessage error={users.error ?? action.error} />
        {users.data ? (
          <div className="table-wrap">
            <table className="files">
              <thead>
                <tr>
                  <th scope="col">User</th><th scope="col">Role</th><th scope="col">Quota</th><th scope="col"><span className="sr-only">Set quota</span></th>
                  <th scope="col"><span className="sr-only">Reset password</span></th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <td>{u.username}</td>
                    <td>{u.role}</td>
                    <td>{u.quotaBytes > 0 ? formatBytes(u.quotaBytes) : 'none'}</td>
                    <td>
                      <QuotaForm username={u.username} onSet={(bytes) => void action.run(() => admin.setQuota(u.id, bytes)).then(users.reload)} />
                    </td>
                    <td>{u.id !== self ? <ResetPasswordForm user={u} onReset={setReset} /> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : <Spinner />}
        {reset ? <p className="notice" role="status">{reset.notice}</p> : null}
        <form onSubmit={(e) => void create(e)} className="stack" aria-labelledby="new-user-title">
          <h3 id="new-user-title">Add a user</h3>
          <label>Username<input value={username} onChange={(e) => setUsername(e.target.value)} required pattern="[A-Za-z0-9._\-]{1,64}" autoComplete="off" /></label>
          <p className="muted">You choose their first password, so until they change it you could open what is shared with them. Tell them to
            change it at once: their first change gives them a new sharing key that only they can open.</p>
          <label>Password (at least 8 characters)<input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} autoComplete="new-password" /></label>
          <label>Role
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label>Quota in GiB (empty: none)<input type="number" min="0" step="0.1" value={quota} onChange={(e) => setQuota(e.target.value)} /></label>
          <button type="submit" disabled={action.busy}>Add user</button>
        </form>
      </section>
      <section className="card" aria-labelledby="invites-title">
        <h2 id="invites-title">Invites</h2>
        <p className="muted">A one-time code with which someone creates their own account (POST /api/v1/auth/signup).</p>
        <form className="inline-form" onSubmit={(e) => {
          e.preventDefault();
          void action.run(() => admin.invite(Number(days))).then((made) => made && setInvite(made));
        }}>
          <label>Valid for (days)<input type="number" min="1" max="365" value={days} onChange={(e) => setDays(e.target.value)} required /></label>
          <button type="submit" disabled={action.busy}>Create invite</button>
        </form>
        {invite ? (
          <div className="notice" role="status">
            <p>Invite code, valid until {formatDate(invite.expiresAt)}:</p>
            <pre className="secret" aria-label="Invite code">{invite.invite}</pre>
          </div>
        ) : null}
      </section>
    </>
  );
}

function QuotaForm({ username, onSet }: { username: string; onSet: (bytes: number) => void }) {
  const [value, setValue] = useState('');
  return (
    <form className="inline-form compact" onSubmit={(e) => {
      e.preventDefault();
      onSet(Math.round(Number(value || '0') * GiB));
      setValue('');
    }}>
      <input type="number" min="0" step="0.1" value={value} onChange={(e) => setValue(e.target.value)} aria-label={`New quota for ${username} in GiB (0: none)`} placeholder="GiB" />
      <button type="submit" className="secondary">Set</button>
    </form>
  );
}

/**
 * Sets another user's password. The node cannot carry their sharing key over (it needs their old password), so
 * this says, before and after, that the vaults shared with them must be shared again.
 */
function ResetPasswordForm({ user, onReset }: { user: AdminUser; onReset: (result: PasswordReset) => void }) {
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!window.confirm(`Reset ${user.username}'s password? Their sessions and API tokens end, and every vault shared with them must be shared `
      + 'with them again by its owner: their sharing key cannot be carried over. Their own vaults still open with their passphrases or recovery keys.')) return;
    const result = await action.run(() => admin.resetPassword(user.id, password));
    if (result) {
      setPassword('');
      onReset(result);
    }
  };
  return (
    <form className="inline-form compact" onSubmit={(e) => void submit(e)}>
      <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={8} required autoComplete="new-password"
        aria-label={`New password for ${user.username}`} placeholder="new password" />
      <button type="submit" className="secondary" disabled={action.busy}>Reset password</button>
      <ErrorMessage error={action.error} />
    </form>
  );
}
