import type { VaultRole } from '../api/types';

// What each role on a vault may do (docs/sharing.md, Roles); each includes the ones before it. The node checks
// every request anyway; these only decide what the UI offers, so a viewer is not shown buttons that answer 403.
// An unknown role (the vault list not loaded yet) may do nothing.

const rank: Record<string, number> = { viewer: 1, editor: 2, manager: 3, owner: 4 };

function atLeast(role: VaultRole | string | undefined, needed: VaultRole): boolean {
  return role !== undefined && (rank[role] ?? 0) >= rank[needed];
}

/** Upload, rename and move, delete to the trash, restore versions and trash items, tag. */
export const canWrite = (role: VaultRole | string | undefined) => atLeast(role, 'editor');

/** Share and unshare, make and revoke links, set the policy and write-once locks, purge, run jobs, lock the vault. */
export const canManage = (role: VaultRole | string | undefined) => atLeast(role, 'manager');

/** The vault's peers (replicas and member nodes). */
export const isOwner = (role: VaultRole | string | undefined) => atLeast(role, 'owner');
