using Microsoft.Data.Sqlite;

namespace Dupa.Node.Data;

/// <summary>
/// A user's agreement key pair (docs/sharing.md): the public half (SubjectPublicKeyInfo) in the clear, the PKCS#8
/// private half sealed under a key derived from their password with Argon2id (salt and costs kept beside it).
/// </summary>
/// <remarks>
/// <c>SetByAdmin</c>: the password that seals it was chosen by an admin (an admin-made account, or a reset), so the
/// admin could open it; the user's own next password change replaces the pair (docs/sharing.md, Users' keys).
/// </remarks>
public sealed record UserKeyRecord(string UserId, byte[] PublicKey, byte[] SealedPrivateKey, byte[] Salt, int Iterations, int MemoryKiB, DateTimeOffset CreatedAt,
    bool SetByAdmin = false)
{
    /// <summary>SHA-256 of the public key: what a member row records it was wrapped to.</summary>
    public byte[] KeyId => UserKeyIds.Of(PublicKey);
}

public static class UserKeyIds
{
    public static byte[] Of(byte[] publicKey) => System.Security.Cryptography.SHA256.HashData(publicKey);
}

/// <summary>A user a vault is shared with: their role, and the vault's master key wrapped to their public key.</summary>
/// <remarks>
/// <c>KeyId</c> is the SHA-256 of the public key the vault key was wrapped to (null for rows written before it was
/// kept). When it is not the user's current key, the row needs sharing again (<see cref="NeedsReshare"/>).
/// </remarks>
public sealed record VaultMember(string VaultId, string UserId, string Role, byte[] WrappedKey, string AddedBy, DateTimeOffset AddedAt, byte[]? KeyId = null)
{
    /// <summary>Whether the wrapped key was made for another key pair than <paramref name="current"/> (the user's now), so it cannot open.</summary>
    public bool NeedsReshare(UserKeyRecord? current) =>
        current is null || (KeyId is not null && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(KeyId, current.KeyId));
}

/// <summary>Who did what to a vault, as the node saw it: the vault's own log names devices, not people.</summary>
/// <remarks><c>Target</c> is a username or link ID (plain); <c>SealedDetail</c> a path, sealed with the vault's note key.</remarks>
public sealed record AuditEntry(long Id, string VaultId, string? UserId, string Actor, string Action, string? Target, byte[]? SealedDetail, DateTimeOffset At);

/// <summary>
/// A public link to a file or folder: <c>read</c> (view and download) or <c>drop</c> (upload only). The secret is
/// kept only as its SHA-256; the path is sealed with the vault's note key; the password only as Argon2id.
/// <c>SealedTarget</c> is the target's identity (<see cref="Sharing.LinkTargets"/>), sealed the same way, so the link
/// follows it through moves; null for the vault's root and for links made before it was kept.
/// </summary>
public sealed record LinkRecord(string Id, string VaultId, string CreatedBy, string Kind, byte[] SealedPath, byte[] SecretHash, string? PasswordHash,
    DateTimeOffset? ExpiresAt, long? MaxUses, long Uses, DateTimeOffset? LastUsedAt, bool Revoked, DateTimeOffset CreatedAt, byte[]? SealedTarget = null);

public sealed partial class NodeDatabase
{
    private void CreateSharingTables() => Execute("""
        CREATE TABLE IF NOT EXISTS user_keys (user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, public_key BLOB NOT NULL,
            sealed_private BLOB NOT NULL, salt BLOB NOT NULL, kdf_t INTEGER NOT NULL, kdf_m INTEGER NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS vault_members (vault_id TEXT NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, role TEXT NOT NULL, wrapped_key BLOB NOT NULL,
            added_by TEXT NOT NULL, added_at TEXT NOT NULL, PRIMARY KEY (vault_id, user_id));
        CREATE INDEX IF NOT EXISTS members_by_user ON vault_members(user_id);
        CREATE TABLE IF NOT EXISTS vault_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, vault_id TEXT NOT NULL, user_id TEXT, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT, detail BLOB, at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_by_vault ON vault_audit(vault_id, id);
        CREATE TABLE IF NOT EXISTS links (id TEXT PRIMARY KEY, vault_id TEXT NOT NULL REFERENCES vaults(id) ON DELETE CASCADE, created_by TEXT NOT NULL,
            kind TEXT NOT NULL, path BLOB NOT NULL, secret_hash BLOB NOT NULL UNIQUE, password_hash TEXT, expires_at TEXT, max_uses INTEGER,
            uses INTEGER NOT NULL DEFAULT 0, last_used_at TEXT, revoked INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS links_by_vault ON links(vault_id);
        """);

    /// <summary>Columns added after the tables first shipped; an older node.db gets them on open.</summary>
    private void MigrateSharingTables()
    {
        AddColumnIfMissing("user_keys", "set_by_admin", "INTEGER NOT NULL DEFAULT 0");
        AddColumnIfMissing("vault_members", "key_id", "BLOB");
        AddColumnIfMissing("links", "target", "BLOB");
    }

    public UserKeyRecord? FindUserKey(string userId) =>
        Query("SELECT user_id, public_key, sealed_private, salt, kdf_t, kdf_m, created_at, set_by_admin FROM user_keys WHERE user_id = $u",
            r => new UserKeyRecord(r.GetString(0), (byte[])r.GetValue(1), (byte[])r.GetValue(2), (byte[])r.GetValue(3), r.GetInt32(4), r.GetInt32(5), ParseTime(r.GetString(6)),
                r.GetInt64(7) != 0),
            ("$u", userId)).FirstOrDefault();

    /// <summary>Saves a user's key pair, replacing an earlier one (a re-seal after a password change, or a new pair).</summary>
    public void SaveUserKey(UserKeyRecord key)
    {
        lock (_gate)
        {
            using var command = SaveUserKeyCommand(key, null);
            command.ExecuteNonQuery();
        }
    }

    private SqliteCommand SaveUserKeyCommand(UserKeyRecord key, SqliteTransaction? transaction)
    {
        var command = Command("""
            INSERT INTO user_keys (user_id, public_key, sealed_private, salt, kdf_t, kdf_m, created_at, set_by_admin) VALUES ($u, $p, $s, $salt, $t, $m, $c, $a)
            ON CONFLICT(user_id) DO UPDATE SET public_key = $p, sealed_private = $s, salt = $salt, kdf_t = $t, kdf_m = $m, created_at = $c, set_by_admin = $a
            """, ("$u", key.UserId), ("$p", key.PublicKey), ("$s", key.SealedPrivateKey), ("$salt", key.Salt), ("$t", key.Iterations), ("$m", key.MemoryKiB),
            ("$c", Time(key.CreatedAt)), ("$a", key.SetByAdmin ? 1 : 0));
        command.Transaction = transaction;
        return command;
    }

    public void SaveMember(VaultMember member) => Execute("""
        INSERT INTO vault_members (vault_id, user_id, role, wrapped_key, added_by, added_at, key_id) VALUES ($v, $u, $r, $k, $b, $t, $i)
        ON CONFLICT(vault_id, user_id) DO UPDATE SET role = $r, wrapped_key = $k, key_id = $i
        """, ("$v", member.VaultId), ("$u", member.UserId), ("$r", member.Role), ("$k", member.WrappedKey), ("$b", member.AddedBy), ("$t", Time(member.AddedAt)),
        ("$i", (object?)member.KeyId ?? DBNull.Value));

    private const string MemberColumns = "vault_id, user_id, role, wrapped_key, added_by, added_at, key_id";

    public VaultMember? FindMember(string vaultId, string userId) =>
        Query($"SELECT {MemberColumns} FROM vault_members WHERE vault_id = $v AND user_id = $u", ReadMember, ("$v", vaultId), ("$u", userId)).FirstOrDefault();

    public IReadOnlyList<VaultMember> MembersOf(string vaultId) =>
        Query($"SELECT {MemberColumns} FROM vault_members WHERE vault_id = $v ORDER BY added_at", ReadMember, ("$v", vaultId));

    /// <summary>Every vault a user is a member of, as member rows (with the wrapped keys).</summary>
    public IReadOnlyList<VaultMember> MembershipsOf(string userId) =>
        Query($"SELECT {MemberColumns} FROM vault_members WHERE user_id = $u ORDER BY vault_id", ReadMember, ("$u", userId));

    /// <summary>The vaults shared with a user (not their own), with the membership.</summary>
    public IReadOnlyList<(VaultRecord Vault, VaultMember Member)> VaultsSharedWith(string userId) =>
        Query("""
            SELECT v.id, v.owner_id, v.name, v.created_at, m.vault_id, m.user_id, m.role, m.wrapped_key, m.added_by, m.added_at, m.key_id
            FROM vault_members m JOIN vaults v ON v.id = m.vault_id WHERE m.user_id = $u ORDER BY v.name
            """, r => (new VaultRecord(r.GetString(0), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3))),
                new VaultMember(r.GetString(4), r.GetString(5), r.GetString(6), (byte[])r.GetValue(7), r.GetString(8), ParseTime(r.GetString(9)),
                    r.IsDBNull(10) ? null : (byte[])r.GetValue(10))), ("$u", userId));

    public bool RemoveMember(string vaultId, string userId)
    {
        lock (_gate)
        {
            using var command = Command("DELETE FROM vault_members WHERE vault_id = $v AND user_id = $u", ("$v", vaultId), ("$u", userId));
            return command.ExecuteNonQuery() > 0;
        }
    }

    private static VaultMember ReadMember(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), (byte[])r.GetValue(3), r.GetString(4), ParseTime(r.GetString(5)), r.IsDBNull(6) ? null : (byte[])r.GetValue(6));

    public void AddAudit(AuditEntry entry) => AddAudits([entry]);

    /// <summary>Adds audit entries in one transaction: a form upload of many files is one commit (one fsync), not one each.</summary>
    public void AddAudits(IReadOnlyList<AuditEntry> entries)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var entry in entries)
            {
                using var command = Command("INSERT INTO vault_audit (vault_id, user_id, actor, action, target, detail, at) VALUES ($v, $u, $a, $x, $g, $d, $t)",
                    ("$v", entry.VaultId), ("$u", (object?)entry.UserId ?? DBNull.Value), ("$a", entry.Actor), ("$x", entry.Action), ("$g", (object?)entry.Target ?? DBNull.Value),
                    ("$d", (object?)entry.SealedDetail ?? DBNull.Value), ("$t", Time(entry.At)));
                command.Transaction = transaction;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>The newest audit entries of a vault first.</summary>
    public IReadOnlyList<AuditEntry> AuditOf(string vaultId, int limit) =>
        Query("SELECT id, vault_id, user_id, actor, action, target, detail, at FROM vault_audit WHERE vault_id = $v ORDER BY id DESC LIMIT $n",
            r => new AuditEntry(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
                r.IsDBNull(6) ? null : (byte[])r.GetValue(6), ParseTime(r.GetString(7))),
            ("$v", vaultId), ("$n", limit));

    public void AddLink(LinkRecord link) => Execute("""
        INSERT INTO links (id, vault_id, created_by, kind, path, secret_hash, password_hash, expires_at, max_uses, created_at, target)
        VALUES ($id, $v, $b, $k, $p, $h, $pw, $e, $m, $c, $t)
        """, ("$id", link.Id), ("$v", link.VaultId), ("$b", link.CreatedBy), ("$k", link.Kind), ("$p", link.SealedPath), ("$h", link.SecretHash),
        ("$pw", (object?)link.PasswordHash ?? DBNull.Value), ("$e", link.ExpiresAt is { } e ? Time(e) : DBNull.Value), ("$m", (object?)link.MaxUses ?? DBNull.Value), ("$c", Time(link.CreatedAt)),
        ("$t", (object?)link.SealedTarget ?? DBNull.Value));

    /// <summary>Records where a link's target is now (it moved): the fallback if it is ever found nowhere else.</summary>
    public void UpdateLinkPath(string id, byte[] sealedPath) => Execute("UPDATE links SET path = $p WHERE id = $id", ("$p", sealedPath), ("$id", id));

    private const string LinkColumns = "id, vault_id, created_by, kind, path, secret_hash, password_hash, expires_at, max_uses, uses, last_used_at, revoked, created_at, target";

    public LinkRecord? FindLinkBySecretHash(byte[] hash) =>
        Query($"SELECT {LinkColumns} FROM links WHERE secret_hash = $h", ReadLink, ("$h", hash)).FirstOrDefault();

    public LinkRecord? FindLink(string id) => Query($"SELECT {LinkColumns} FROM links WHERE id = $id", ReadLink, ("$id", id)).FirstOrDefault();

    public IReadOnlyList<LinkRecord> LinksOfVault(string vaultId) =>
        Query($"SELECT {LinkColumns} FROM links WHERE vault_id = $v ORDER BY created_at DESC", ReadLink, ("$v", vaultId));

    public IReadOnlyList<LinkRecord> LinksCreatedBy(string userId) =>
        Query($"SELECT {LinkColumns} FROM links WHERE created_by = $u ORDER BY created_at DESC", ReadLink, ("$u", userId));

    /// <summary>
    /// Counts one use of a link, atomically refusing it when the link is revoked or has used up its limit; false
    /// means the use was not counted (and must not happen).
    /// </summary>
    public bool TryUseLink(string id, DateTimeOffset now)
    {
        lock (_gate)
        {
            using var command = Command("""
                UPDATE links SET uses = uses + 1, last_used_at = $now
                WHERE id = $id AND revoked = 0 AND (max_uses IS NULL OR uses < max_uses)
                """, ("$id", id), ("$now", Time(now)));
            return command.ExecuteNonQuery() == 1;
        }
    }

    public bool RevokeLink(string id)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE links SET revoked = 1 WHERE id = $id AND revoked = 0", ("$id", id));
            return command.ExecuteNonQuery() == 1;
        }
    }

    private static LinkRecord ReadLink(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), (byte[])r.GetValue(5), r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : ParseTime(r.GetString(7)), r.IsDBNull(8) ? null : r.GetInt64(8), r.GetInt64(9), r.IsDBNull(10) ? null : ParseTime(r.GetString(10)),
        r.GetInt64(11) != 0, ParseTime(r.GetString(12)), r.IsDBNull(13) ? null : (byte[])r.GetValue(13));
}
