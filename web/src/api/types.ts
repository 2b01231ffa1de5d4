// Shapes of the node's REST API (see docs/api.md and /openapi/v1.json).

export interface User {
  id: string;
  username: string;
  role: 'admin' | 'user' | string;
}

export interface LoginResponse {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  user: User;
}

export type VaultRole = 'owner' | 'manager' | 'editor' | 'viewer';

export interface Vault {
  id: string;
  name: string;
  createdAt: string;
  unlocked: boolean;
  /** The caller's role: owner of their own vaults; viewer, editor or manager of a vault shared with them. */
  role: VaultRole;
  /** The owner's username. */
  owner: string;
  /**
   * Shared with you, but its key was wrapped to a key pair you no longer have (an admin reset your password): you
   * cannot unlock it yourself until the owner or a manager shares it with you again.
   */
  needsReshare?: boolean;
}

/** Someone with access to a vault (docs/sharing.md). */
export interface Member {
  username: string;
  role: VaultRole;
  addedAt: string;
  addedBy: string | null;
  /** Their copy of the vault key opens with a key pair they no longer have (an admin reset their password): share again. */
  needsReshare?: boolean;
  /** An admin chose their password and they have not changed it yet: the admin could open what is shared with them now. */
  passwordSetByAdmin?: boolean;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string | null;
  path: string | null;
}

export type LinkKind = 'read' | 'drop';

export interface ShareLink {
  id: string;
  vaultId: string;
  vault: string;
  kind: LinkKind;
  path: string;
  /** trashed: what it points to is in the trash (the link answers 410 until it is restored). */
  state: 'active' | 'trashed' | 'expired' | 'exhausted' | 'revoked';
  hasPassword: boolean;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  lastUsedAt: string | null;
  createdBy: string;
  createdAt: string;
}

export interface CreatedLink {
  id: string;
  secret: string;
  url: string;
  link: ShareLink;
}

/** What a public link shows its visitor before anything else. */
export interface LinkInfo {
  kind: LinkKind;
  name: string;
  type: 'file' | 'dir';
  size: number | null;
  mime: string | null;
  expiresAt: string | null;
  usesLeft: number | null;
}

export interface LinkEntry {
  name: string;
  path: string;
  type: 'file' | 'dir';
  size: number;
  modified: string;
  mime: string | null;
}

export interface CreatedVault {
  id: string;
  name: string;
  recoveryKey: string;
}

export type EntryType = 'file' | 'dir' | 'symlink';

export interface Entry {
  name: string;
  path: string;
  type: EntryType;
  size: number;
  modified: string;
  versions: number;
  version: string;
  target?: string | null;
  mime?: string | null;
  tags?: string[];
  /** Permission bits as stored (0o644 is 420). */
  mode?: number | null;
}

export interface Listing {
  path: string;
  type: 'dir';
  entries: Entry[];
  /** The directory's own time and mode; absent for the vault's root. */
  modified?: string | null;
  mode?: number | null;
}

export interface Version {
  version: number;
  id: string;
  stored: string;
  size: number;
  modified: string;
  device: string;
}

export interface TrashItem {
  id: string;
  path: string;
  deleted: string;
  type: EntryType;
  files: number;
  size: number;
}

export interface VaultStats {
  files: number;
  directories: number;
  symlinks: number;
  versions: number;
  trashItems: number;
  currentBytes: number;
  logicalBytes: number;
  uniqueBytes: number;
  storedBytes: number;
  chunks: number;
  packs: number;
  dedupRatio: number;
  compressionRatio: number;
}

export interface ApiToken {
  id: string;
  name: string;
  scopes: string;
  expiresAt: string | null;
  createdAt: string;
  revoked: boolean;
}

export interface CreatedToken {
  id: string;
  token: string;
  scopes: string;
  expiresAt: string | null;
}

/** What an admin's password reset did (POST /api/v1/users/{id}/password). */
export interface PasswordReset {
  username: string;
  sharedVaultsToReshare: number;
  notice: string;
}

export interface AdminUser {
  id: string;
  username: string;
  role: string;
  quotaBytes: number;
  createdAt: string;
}

export interface NodeEvent {
  type: string;
  vault: string | null;
  path: string | null;
  at: string;
  [key: string]: unknown;
}

/** A search hit (GET /vaults/{id}/search): a file or directory, or an older version or a trash item's. */
export interface SearchHit {
  path: string;
  name: string;
  type: EntryType;
  size: number;
  modified: string;
  mime: string | null;
  version: number;
  versionId: string;
  source: 'current' | 'oldversion' | 'trash';
  trashItem: string | null;
  tags: string[];
}

export interface SearchResult {
  total: number;
  offset: number;
  hits: SearchHit[];
}

/** This node's identity among peers (GET /api/v1/node/id). */
export interface NodeId {
  deviceId: string;
  deviceIdHex: string;
  peerListen: string | null;
}

/** A pinned peer and how its connection fares. */
export interface Peer {
  deviceId: string;
  deviceIdHex: string;
  name: string;
  address: string | null;
  addedAt: string;
  connected: boolean;
  lastSeen: string | null;
  lastError: string | null;
  /** Whether the peer relays for its pinned peers. */
  relays?: boolean;
  /** The relay (device ID) this node last reached the peer through; null when directly. */
  via?: string | null;
}

export interface NodeStatus {
  deviceId: string;
  peerListen: string | null;
  peers: Peer[];
  replicas: { vaultId: string; from: string; bytesBehind: number; lastSync: string | null; lastError: string | null }[];
  audits: { vaultId: string; peer: string; at: string; passed: boolean; detail: string | null }[];
}
