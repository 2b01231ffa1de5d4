import { useEffect, useReducer, useRef } from 'react';
import { account, vaults } from '../api/dupa';
import { events } from '../api/events';
import type { User, Vault, VaultStats } from '../api/types';
import { ErrorMessage, Link, Progress, Spinner } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { filesHref } from '../lib/router';

interface VaultWithStats {
  vault: Vault;
  stats: VaultStats | null;
}

/** Storage at a glance: per vault what is kept against what is stored, the quota, and live activity. */
export function DashboardPage({ user }: { user: User }) {
  const data = useLoad(async () => {
    const list = await vaults.list();
    return Promise.all(list.map(async (vault): Promise<VaultWithStats> => ({
      vault,
      stats: vault.unlocked ? await vaults.stats(vault.id).catch(() => null) : null,
    })));
  }, []);
  const me = useLoad(() => account.me(), [user.id]);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const reloadTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    const off = events.subscribe((event) => {
      redraw();
      if (event?.type.startsWith('file.')) {
        // A burst of uploads is one refresh, not one per file.
        clearTimeout(reloadTimer.current);
        reloadTimer.current = setTimeout(() => {
          data.reload();
          me.reload();
        }, 500);
      }
    });
    return () => {
      off();
      clearTimeout(reloadTimer.current);
    };
  }, [data.reload, me.reload]);

  const stored = data.data?.reduce((s, v) => s + (v.stats?.storedBytes ?? 0), 0) ?? 0;
  const names = new Map(data.data?.map((v) => [v.vault.id, v.vault.name]) ?? []);

  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <ErrorMessage error={data.error} />
      {data.loading && !data.data ? <Spinner /> : null}
      <div className="dash">
        <section className="card" aria-labelledby="quota-title">
          <h2 id="quota-title">Storage</h2>
          <p className="big" data-testid="stored-total">{formatBytes(me.data?.usedBytes ?? stored)} stored</p>
          {me.data && me.data.quotaBytes > 0 ? (
            <>
              <Progress value={me.data.usedBytes} max={me.data.quotaBytes} label="Quota used" />
              <p className="muted">{formatBytes(me.data.usedBytes)} of your {formatBytes(me.data.quotaBytes)} quota, over all your vaults</p>
            </>
          ) : (
            <p className="muted">{me.data ? 'No quota: limited by the disk.' : ''}</p>
          )}
        </section>

        {data.data?.map(({ vault, stats }) => (
          <section key={vault.id} className="card" aria-labelledby={`stats-${vault.id}`}>
            <h2 id={`stats-${vault.id}`}>{vault.unlocked ? <Link href={filesHref(vault.id, '/')}>{vault.name}</Link> : vault.name}</h2>
            {stats ? <StatsView stats={stats} /> : <p className="muted">{vault.unlocked ? 'No statistics.' : 'Locked: unlock it to see what it holds.'}</p>}
          </section>
        ))}

        <section className="card activity" aria-labelledby="activity-title">
          <h2 id="activity-title">Recent activity <span className={events.connected ? 'badge ok' : 'badge'}>{events.connected ? 'live' : 'offline'}</span></h2>
          {events.recent.length === 0 ? <p className="muted">Nothing yet. Changes to your files appear here as they happen.</p> : null}
          <ul className="events" aria-live="polite" data-testid="activity">
            {events.recent.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <span className="event-type">{describeEvent(e.type)}</span> <span className="event-path">{e.path ?? ''}</span>
                <span className="muted"> · {e.vault ? names.get(e.vault) ?? 'vault' : ''} · {formatDate(e.at)}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}

function describeEvent(type: string): string {
  const words: Record<string, string> = {
    'file.added': 'Added', 'file.changed': 'Changed', 'file.deleted': 'Deleted', 'file.restored': 'Restored', 'file.moved': 'Moved',
    'job.progress': 'Job running', 'job.succeeded': 'Job done', 'job.failed': 'Job failed', 'job.cancelled': 'Job cancelled',
  };
  return words[type] ?? type;
}

/** Logical (every version), unique (after deduplication) and stored (after compression and encryption) bytes, as bars. */
export function StatsView({ stats }: { stats: VaultStats }) {
  const bars = [
    { label: 'Logical (all versions)', value: stats.logicalBytes },
    { label: 'After deduplication', value: stats.uniqueBytes },
    { label: 'Stored on disk', value: stats.storedBytes },
  ];
  const max = Math.max(1, ...bars.map((b) => b.value));
  const saved = stats.logicalBytes > 0 ? Math.max(0, 1 - stats.storedBytes / stats.logicalBytes) : 0;
  return (
    <div>
      <dl className="facts">
        <div><dt>Files</dt><dd data-testid="stat-files">{stats.files}</dd></div>
        <div><dt>Folders</dt><dd>{stats.directories}</dd></div>
        <div><dt>Versions</dt><dd data-testid="stat-versions">{stats.versions}</dd></div>
        <div><dt>In the trash</dt><dd>{stats.trashItems}</dd></div>
        <div><dt>Current size</dt><dd>{formatBytes(stats.currentBytes)}</dd></div>
      </dl>
      <svg className="chart" viewBox="0 0 300 84" role="img" aria-label={`Logical ${formatBytes(stats.logicalBytes)}, unique ${formatBytes(stats.uniqueBytes)}, stored ${formatBytes(stats.storedBytes)}`}>
        {bars.map((b, i) => (
          <g key={b.label} transform={`translate(0 ${i * 28})`}>
            <rect className={`bar bar-${i}`} x="0" y="12" height="12" width={Math.max(1, (b.value / max) * 300)} rx="2" />
            <text x="0" y="9" className="bar-label">{b.label}: {formatBytes(b.value)}</text>
          </g>
        ))}
      </svg>
      <p className="muted">
        {stats.logicalBytes > 0 ? `Deduplication and compression save ${Math.round(saved * 100)}%` : 'Empty'} · dedup ×{stats.dedupRatio.toFixed(2)} · compression ×{stats.compressionRatio.toFixed(2)}
      </p>
    </div>
  );
}
