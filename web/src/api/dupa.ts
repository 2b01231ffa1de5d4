import { api, encodePath } from './client';
import type {
  AdminUser, ApiToken, PasswordReset, AuditEntry, CreatedLink, CreatedToken, CreatedVault, Entry, LinkKind, Listing, Member, NodeId, NodeStatus, Peer, SearchResult, ShareLink,
  TrashItem, Vault, VaultStats, Version,
} from './types';

// Typed calls to each endpoint the UI uses. Paths inside a vault are absolute ("/Photos/a.jpg").

const v = (vault: string) => `/api/v1/vaults/${encodeURIComponent(vault)}`;

function query(params: Record<string, string | number | undefined | null>): string {
  const pairs = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== '');
  return pairs.length ? '?' + new URLSearchParams(pairs.map(([k, value]) => [k, String(value)])).toString() : '';
}

export const vaults = {
  list: () => api.get<Vault[]>('/api/v1/vaults'),
  create: (name: string, passphrase: string) => api.json<CreatedVault>('POST', '/api/v1/vaults', { name, passphrase }),
  unlock: (id: string, passphrase: string) => api.json<void>('POST', `${v(id)}/unlock`, { passphrase }),
  /** A vault shared with you opens with your own account password (docs/sharing.md). */
  unlockShared: (id: string, password: string) => api.json<void>('POST', `${v(id)}/unlock`, { password }),
  lock: (id: string) => api.json<void>('POST', `${v(id)}/lock`),
  stats: (id: string) => api.get<VaultStats>(`${v(id)}/stats`),
};

export const files = {
  /** Lists a directory (or stats a file); `at` shows the tree as it was at that time. */
  tree: (vault: string, path: string, at?: string) => api.get<Listing | Entry>(`${v(vault)}/tree/${encodePath(path)}${query({ at })}`),
  downloadUrl: (vault: string, path: string, opts: { version?: number; at?: string } = {}) =>
    `${v(vault)}/files/${encodePath(path)}${query({ version: opts.version, at: opts.at })}`,
  archiveUrl: (vault: string, path: string, at?: string) => `${v(vault)}/archive/${encodePath(path)}${query({ at })}`,
  versions: (vault: string, path: string) => api.get<Version[]>(`${v(vault)}/versions/${encodePath(path)}`),
  restoreVersion: (vault: string, path: string, version: number) => api.json<Entry>('POST', `${v(vault)}/restore-version`, { path, version }),
  move: (vault: string, from: string, to: string) => api.json<Entry>('POST', `${v(vault)}/move`, { from, to }),
  remove: (vault: string, path: string) => api.json<{ trashItem: string }>('DELETE', `${v(vault)}/files/${encodePath(path)}`),
  trash: (vault: string) => api.get<TrashItem[]>(`${v(vault)}/trash`),
  restoreTrash: (vault: string, item: string) => api.json<{ path: string }>('POST', `${v(vault)}/trash/${encodeURIComponent(item)}/restore`, {}),
  purge: (vault: string, item: string) => api.json<void>('DELETE', `${v(vault)}/trash/${encodeURIComponent(item)}`),
  emptyTrash: (vault: string) => api.json<{ purged: number }>('DELETE', `${v(vault)}/trash`),
  /** Search with the find filters (docs/search.md); `queryString` comes from lib/searchQuery. */
  search: (vault: string, queryString: string, signal?: AbortSignal) =>
    api.request('GET', `${v(vault)}/search${queryString}`, { signal }).then((r) => r.json() as Promise<SearchResult>),
  /** Adds and removes tags on a path; answers the path's tags afterwards. */
  changeTags: (vault: string, path: string, add: string[], remove: string[]) =>
    api.json<{ path: string; tags: string[] }>('POST', `${v(vault)}/tags`, { path, add, remove }),
};

/** A vault shared with other users of the node, and who did what in it (docs/sharing.md). */
export const sharing = {
  members: (vault: string) => api.get<Member[]>(`${v(vault)}/members`),
  share: (vault: string, username: string, role: string) => api.json<Member>('PUT', `${v(vault)}/members/${encodeURIComponent(username)}`, { role }),
  remove: (vault: string, username: string) => api.json<void>('DELETE', `${v(vault)}/members/${encodeURIComponent(username)}`),
  audit: (vault: string) => api.get<AuditEntry[]>(`${v(vault)}/audit?limit=50`),
  links: (vault: string) => api.get<ShareLink[]>(`${v(vault)}/links`),
  createLink: (vault: string, request: { path: string; kind: LinkKind; password?: string; expiresAt?: string; maxUses?: number }) =>
    api.json<CreatedLink>('POST', `${v(vault)}/links`, request),
  revokeLink: (vault: string, id: string) => api.json<void>('DELETE', `${v(vault)}/links/${encodeURIComponent(id)}`),
  /** Every link you made, in every vault you can still share. */
  myLinks: () => api.get<ShareLink[]>('/api/v1/links'),
  /** The owner rotates the vault key (with its passphrase): what is written from now on is sealed under a key removed people never get. */
  rotateKey: (vault: string, passphrase: string) => api.json<{ epoch: number }>('POST', `${v(vault)}/rotate-key`, { passphrase }),
};

/** This node among its peers (docs/protocol.md): its device ID, pinned peers, invite codes. */
export const peers = {
  nodeId: () => api.get<NodeId>('/api/v1/node/id'),
  status: () => api.get<NodeStatus>('/api/v1/status'),
  pin: (deviceId: string, address?: string, name?: string) =>
    api.json<Peer>('POST', '/api/v1/peers', { deviceId, address: address || undefined, name: name || undefined }),
  unpin: (deviceId: string) => api.json<void>('DELETE', `/api/v1/peers/${encodeURIComponent(deviceId)}`),
  invite: (address?: string) => api.json<{ code: string; expiresAt: string }>('POST', '/api/v1/peers/invites', { address: address || undefined }),
  join: (code: string, name?: string) => api.json<Peer>('POST', '/api/v1/peers/join', { code, name: name || undefined }),
};

/** Fetches a file (or any authenticated GET) as a Blob: images, previews, downloads. */
export async function fetchBlob(url: string, signal?: AbortSignal): Promise<Blob> {
  const response = await api.request('GET', url, { signal });
  return response.blob();
}

/**
 * Downloads a file (or a folder as a zip) straight to disk: asks the node for a 60-second ticket and follows it, so
 * the bytes never pass through the page's memory, whatever their size.
 */
export async function download(vault: string, path: string, opts: { version?: number; at?: string; archive?: boolean } = {}) {
  const ticket = await api.json<{ url: string; expiresAt: string }>('POST', `${v(vault)}/download-tickets`,
    { path, version: opts.version ?? null, at: opts.at ?? null, archive: opts.archive ?? false });
  // The answer is an attachment, so following it starts a download and leaves the page where it is.
  window.location.assign(ticket.url);
}

/** Downloads several files and folders as one zip, the same way (the node checks the selection first). */
export async function downloadZip(vault: string, paths: string[], opts: { at?: string } = {}) {
  const ticket = await api.json<{ url: string; expiresAt: string }>('POST', `${v(vault)}/archive`, { paths, at: opts.at ?? null });
  window.location.assign(ticket.url);
}

/** Saves a blob under a file name through a temporary link. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const account = {
  /** Who is logged in, with their quota (0: none) and what their vaults take on disk. */
  me: () => api.get<{ id: string; username: string; role: string; quotaBytes: number; usedBytes: number; passwordSetByAdmin?: boolean }>('/api/v1/auth/me'),
  tokens: () => api.get<ApiToken[]>('/api/v1/tokens'),
  createToken: (name: string, scopes: string, expiresAt?: string) =>
    api.json<CreatedToken>('POST', '/api/v1/tokens', { name, scopes, expiresAt: expiresAt || null }),
  revokeToken: (id: string) => api.json<void>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`),
  /** Other sessions are logged out; this one and API tokens stay. The sharing key is replaced and every shared vault moved to it. */
  changePassword: (current: string, next: string) => api.json<void>('POST', '/api/v1/auth/password', { current, new: next }),
};

export const admin = {
  users: () => api.get<AdminUser[]>('/api/v1/users'),
  createUser: (username: string, password: string, role: string, quotaBytes: number) =>
    api.json<AdminUser>('POST', '/api/v1/users', { username, password, role, quotaBytes }),
  /** Sets another user's password: their sessions end, and vaults shared with them must be shared again. */
  resetPassword: (id: string, password: string) => api.json<PasswordReset>('POST', `/api/v1/users/${encodeURIComponent(id)}/password`, { password }),
  setQuota: (id: string, quotaBytes: number) => api.json<void>('PUT', `/api/v1/users/${encodeURIComponent(id)}/quota`, { quotaBytes }),
  invite: (expiresInDays: number) => api.json<{ invite: string; expiresAt: string }>('POST', '/api/v1/invites', { expiresInDays }),
};

export async function needsSetup(): Promise<boolean> {
  const response = await fetch('/readyz');
  if (!response.ok) return false;
  const body = (await response.json()) as { users?: boolean };
  return body.users === false;
}
