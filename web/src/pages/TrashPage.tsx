import { files, vaults } from '../api/dupa';
import { ErrorMessage, Link, Spinner } from '../components/common';
import { formatBytes, formatDate } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { canManage, canWrite } from '../lib/roles';
import { filesHref } from '../lib/router';

/** What was deleted: put it back, or purge it for good. */
export function TrashPage({ vault }: { vault: string }) {
  const list = useLoad(() => files.trash(vault), [vault]);
  const vaultList = useLoad(() => vaults.list(), [vault]);
  const shown = vaultList.data?.find((v) => v.id === vault);
  const name = shown?.name ?? 'Vault';
  // Offer only what the role allows (the node refuses the rest with 403 anyway): restoring needs an editor,
  // purging a manager. Until the role is known, nothing is offered.
  const role = shown?.role;
  const canRestore = canWrite(role);
  const canPurge = canManage(role);
  const action = useAction();

  const purge = (id: string, path: string) => {
    if (!window.confirm(`Delete "${path}" for good? This cannot be undone.`)) return;
    void action.run(() => files.purge(vault, id)).then(list.reload);
  };

  return (
    <section aria-labelledby="trash-title">
      <nav aria-label="Breadcrumbs" className="crumbs">
        <ol>
          <li><Link href="/">Vaults</Link></li>
          <li><Link href={filesHref(vault, '/')}>{name}</Link></li>
          <li><span aria-current="page">Trash</span></li>
        </ol>
      </nav>
      <h1 id="trash-title">Trash</h1>
      <ErrorMessage error={list.error ?? action.error} />
      {list.loading && !list.data ? <Spinner /> : null}
      {list.data && list.data.length === 0 ? <p className="muted">The trash is empty.</p> : null}
      {list.data && list.data.length > 0 ? (
        <>
          <div className="table-wrap">
            <table className="files">
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col" className="col-size">Size</th>
                  <th scope="col" className="col-modified">Deleted</th>
                  <th scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((item) => (
                  <tr key={item.id} data-testid="trash-row">
                    <td className="col-name">
                      <span aria-hidden="true">{item.type === 'dir' ? '📁 ' : '📄 '}</span>
                      {item.path}
                      {item.type === 'dir' ? <span className="muted"> ({item.files} files)</span> : null}
                    </td>
                    <td className="col-size">{formatBytes(item.size)}</td>
                    <td className="col-modified">{formatDate(item.deleted)}</td>
                    <td className="row-actions">
                      {canRestore ? (
                        <button type="button" aria-label={`Restore ${item.path}`} disabled={action.busy}
                          onClick={() => void action.run(() => files.restoreTrash(vault, item.id)).then(list.reload)}>
                          Restore
                        </button>
                      ) : null}
                      {canPurge ? (
                        <button type="button" className="danger" aria-label={`Purge ${item.path}`} disabled={action.busy} onClick={() => purge(item.id, item.path)}>
                          Purge
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {canPurge ? (
            <button type="button" className="danger" disabled={action.busy}
              onClick={() => {
                if (window.confirm('Empty the trash? Everything in it is deleted for good.')) void action.run(() => files.emptyTrash(vault)).then(list.reload);
              }}>
              Empty the trash
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
