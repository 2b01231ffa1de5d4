import { useEffect, useState } from 'react';
import { api } from './api/client';
import { needsSetup } from './api/dupa';
import { uploads } from './api/upload';
import type { User } from './api/types';
import { Link, Spinner } from './components/common';
import { match, navigate, useLocation } from './lib/router';
import { thumbnails } from './lib/thumbnails';
import { BrowserPage } from './pages/BrowserPage';
import { DashboardPage } from './pages/DashboardPage';
import { LinkPage } from './pages/LinkPage';
import { LoginPage } from './pages/LoginPage';
import { SearchPage } from './pages/SearchPage';
import { SettingsPage } from './pages/SettingsPage';
import { SetupPage } from './pages/SetupPage';
import { TrashPage } from './pages/TrashPage';
import { VaultsPage } from './pages/VaultsPage';

type Phase = 'starting' | 'setup' | 'login' | 'ready';

/**
 * Logging out also forgets the thumbnails (small, but plaintext copies of the user's photos on this disk) and the
 * upload sessions kept for resuming (they name the user's files).
 */
async function logOut() {
  uploads.forgetSessions();
  await Promise.all([api.logout(), thumbnails.clear().catch(() => {})]);
  navigate('/', true);
}

export function App() {
  const [phase, setPhase] = useState<Phase>('starting');
  const [user, setUser] = useState<User | null>(null);
  const location = useLocation();

  useEffect(() => {
    let live = true;
    (async () => {
      if (await needsSetup().catch(() => false)) {
        if (live) setPhase('setup');
        return;
      }
      const restored = await api.restore();
      if (!live) return;
      setUser(api.user);
      setPhase(restored ? 'ready' : 'login');
    })();
    const off = api.onChange((u) => {
      setUser(u);
      setPhase(u ? 'ready' : 'login');
    });
    return () => {
      live = false;
      off();
    };
  }, []);

  useEffect(() => {
    const titles: Record<Phase, string> = { starting: 'D.U.P.A', setup: 'Set up · D.U.P.A', login: 'Log in · D.U.P.A', ready: 'D.U.P.A' };
    document.title = titles[phase];
  }, [phase]);

  // A public link's page needs no account: it is shown whatever the session.
  const link = match('/s/:secret', location.path);
  if (link) return <LinkPage secret={link.secret} />;

  if (phase === 'starting') return <main className="center"><Spinner /></main>;
  if (phase === 'setup') return <SetupPage onDone={() => setPhase(api.user ? 'ready' : 'login')} />;
  if (phase === 'login' || !user) return <LoginPage />;

  const path = location.path;
  let page: React.ReactNode;
  let params: Record<string, string> | null;
  if ((params = match('/v/:vault/files/*', path)) || (params = match('/v/:vault/files', path))) {
    page = <BrowserPage vault={params.vault} path={params['*'] ?? '/'} at={location.query.get('at')} />;
  } else if ((params = match('/v/:vault/trash', path))) {
    page = <TrashPage vault={params.vault} />;
  } else if ((params = match('/v/:vault/search', path))) {
    page = <SearchPage vault={params.vault} initial={location.query.get('q') ?? ''} />;
  } else if (match('/dashboard', path)) {
    page = <DashboardPage user={user} />;
  } else if (match('/settings', path)) {
    page = <SettingsPage user={user} />;
  } else {
    page = <VaultsPage />;
  }
  const section = path.startsWith('/dashboard') ? 'dashboard' : path.startsWith('/settings') ? 'settings' : 'vaults';

  return (
    <div className="app">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link href="/" className="brand">D.U.P.A</Link>
        <nav aria-label="Main">
          <Link href="/" aria-current={section === 'vaults' ? 'page' : undefined}>Vaults</Link>
          <Link href="/dashboard" aria-current={section === 'dashboard' ? 'page' : undefined}>Dashboard</Link>
          <Link href="/settings" aria-current={section === 'settings' ? 'page' : undefined}>Settings</Link>
        </nav>
        <span className="who" title={`Logged in as ${user.username}`}>{user.username}</span>
        <button type="button" className="secondary" onClick={() => void logOut()}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </div>
  );
}
