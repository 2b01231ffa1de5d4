using System.Globalization;
using Dupa.Core.Index;
using Microsoft.Data.Sqlite;

namespace Dupa.Node.Data;

public sealed record User(string Id, string Username, string PasswordHash, string Role, long QuotaBytes, DateTimeOffset CreatedAt)
{
    public bool IsAdmin => Role == Roles.Admin;
}

public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";
}

public sealed record VaultRecord(string Id, string OwnerId, string Name, DateTimeOffset CreatedAt);

public sealed record RefreshToken(byte[] Hash, string UserId, string Family, DateTimeOffset ExpiresAt, bool Used, bool Revoked);

/// <summary>A pinned peer node: its device ID (hex), a name for people, and where to dial it (if known).</summary>
public sealed record PeerRecord(string DeviceId, string Name, string? Address, DateTimeOffset AddedAt);

/// <summary>A vault of this node shared with a peer: as a member (holds the key) or a replica (ciphertext only).</summary>
public sealed record ShareRecord(string VaultId, string PeerId, string Role, DateTimeOffset AddedAt);

public sealed record ApiToken(string Id, string UserId, string Name, string Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, bool Revoked);

/// <summary>
/// The node's own data in SQLite (<c>node.db</c> in the data directory): users, sessions, API tokens and which
/// vaults belong to whom. Vault contents live in the vaults themselves. Token secrets are stored only as
/// SHA-256 hashes, passwords only as Argon2id hashes.
/// </summary>
public sealed partial class NodeDatabase : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public NodeDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        _connection = new SqliteConnection(SqliteConnectionStrings.For(Path.Combine(dataDirectory, "node.db"), SqliteOpenMode.ReadWriteCreate));
        _connection.Open();
        Execute("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
            CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, password_hash TEXT NOT NULL,
                role TEXT NOT NULL, quota_bytes INTEGER NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS refresh_tokens (hash BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                family TEXT NOT NULL, expires_at TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX IF NOT EXISTS refresh_by_family ON refresh_tokens(family);
            CREATE TABLE IF NOT EXISTS api_tokens (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, name TEXT NOT NULL,
                hash BLOB NOT NULL UNIQUE, scopes TEXT NOT NULL, expires_at TEXT, created_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS invites (hash BLOB PRIMARY KEY, created_by TEXT NOT NULL, expires_at TEXT NOT NULL, used_by TEXT);
            CREATE TABLE IF NOT EXISTS vaults (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES users(id), name TEXT NOT NULL,
                created_at TEXT NOT NULL, UNIQUE(owner_id, name));
            CREATE TABLE IF NOT EXISTS peers (device_id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT, added_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS shares (vault_id TEXT NOT NULL REFERENCES vaults(id), peer_id TEXT NOT NULL, role TEXT NOT NULL, added_at TEXT NOT NULL,
                PRIMARY KEY (vault_id, peer_id));
            CREATE TABLE IF NOT EXISTS replication_policy (vault_id TEXT PRIMARY KEY REFERENCES vaults(id), copies INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS recovery_grants (vault_id TEXT NOT NULL, peer_id TEXT NOT NULL, added_at TEXT NOT NULL, PRIMARY KEY (vault_id, peer_id));
            """);
        CreateSharingTables();
        MigrateSharingTables();
    }

    /// <summary>Adds a column to a table of an older <c>node.db</c>; nothing if it is there already.</summary>
    private void AddColumnIfMissing(string table, string column, string definition)
    {
        var columns = Query($"PRAGMA table_info({table})", r => r.GetString(1));
        if (!columns.Contains(column, StringComparer.OrdinalIgnoreCase))
        {
            Execute($"ALTER TABLE {table} ADD COLUMN {column} {definition}");
        }
    }

    public int UserCount() => Scalar<long>("SELECT count(*) FROM users") is var n ? (int)n : 0;

    public void AddUser(User user) => Execute(
        "INSERT INTO users (id, username, password_hash, role, quota_bytes, created_at) VALUES ($id, $u, $p, $r, $q, $c)",
        ("$id", user.Id), ("$u", user.Username), ("$p", user.PasswordHash), ("$r", user.Role), ("$q", user.QuotaBytes), ("$c", Time(user.CreatedAt)));

    public User? FindUserByName(string username) => QueryUsers("SELECT * FROM users WHERE username = $u", ("$u", username)).FirstOrDefault();

    public User? FindUser(string id) => QueryUsers("SELECT * FROM users WHERE id = $id", ("$id", id)).FirstOrDefault();

    public IReadOnlyList<User> Users() => QueryUsers("SELECT * FROM users ORDER BY username");

    /// <summary>Revokes every refresh token of a user except those of one session family (the caller's own).</summary>
    public void RevokeSessionsExcept(string userId, string? keepFamily) =>
        Execute("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $u AND family IS NOT $f", ("$u", userId), ("$f", (object?)keepFamily ?? DBNull.Value));

    public void SetQuota(string userId, long quotaBytes) => Execute("UPDATE users SET quota_bytes = $q WHERE id = $id", ("$q", quotaBytes), ("$id", userId));

    public void AddInvite(byte[] hash, string createdBy, DateTimeOffset expiresAt) => Execute(
        "INSERT INTO invites (hash, created_by, expires_at) VALUES ($h, $c, $e)", ("$h", hash), ("$c", createdBy), ("$e", Time(expiresAt)));

    /// <summary>Marks an unused, unexpired invite as used by <paramref name="userId"/>; false if there is none.</summary>
    public bool UseInvite(byte[] hash, string userId, DateTimeOffset now)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE invites SET used_by = $u WHERE hash = $h AND used_by IS NULL AND expires_at > $now", ("$u", userId), ("$h", hash), ("$now", Time(now)));
            return command.ExecuteNonQuery() == 1;
        }
    }

    public void AddVault(VaultRecord vault) => Execute(
        "INSERT INTO vaults (id, owner_id, name, created_at) VALUES ($id, $o, $n, $c)",
        ("$id", vault.Id), ("$o", vault.OwnerId), ("$n", vault.Name), ("$c", Time(vault.CreatedAt)));

    public IReadOnlyList<VaultRecord> VaultsOf(string ownerId) =>
        Query("SELECT id, owner_id, name, created_at FROM vaults WHERE owner_id = $o ORDER BY name", r => new VaultRecord(r.GetString(0), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3))), ("$o", ownerId));

    public VaultRecord? FindVault(string id) =>
        Query("SELECT id, owner_id, name, created_at FROM vaults WHERE id = $id", r => new VaultRecord(r.GetString(0), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3))), ("$id", id)).FirstOrDefault();

    public void SavePeer(PeerRecord peer) => Execute(
        "INSERT INTO peers (device_id, name, address, added_at) VALUES ($d, $n, $a, $t) ON CONFLICT(device_id) DO UPDATE SET name = $n, address = $a",
        ("$d", peer.DeviceId), ("$n", peer.Name), ("$a", (object?)peer.Address ?? DBNull.Value), ("$t", Time(peer.AddedAt)));

    public IReadOnlyList<PeerRecord> Peers() =>
        Query("SELECT device_id, name, address, added_at FROM peers ORDER BY name, device_id",
            r => new PeerRecord(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), ParseTime(r.GetString(3))));

    public bool RemovePeer(string deviceId)
    {
        lock (_gate)
        {
            using var command = Command("DELETE FROM peers WHERE device_id = $d", ("$d", deviceId));
            return command.ExecuteNonQuery() > 0;
        }
    }

    public void SaveShare(ShareRecord share) => Execute(
        "INSERT INTO shares (vault_id, peer_id, role, added_at) VALUES ($v, $p, $r, $t) ON CONFLICT(vault_id, peer_id) DO UPDATE SET role = $r",
        ("$v", share.VaultId), ("$p", share.PeerId), ("$r", share.Role), ("$t", Time(share.AddedAt)));

    public IReadOnlyList<ShareRecord> SharesOfVault(string vaultId) =>
        Query("SELECT vault_id, peer_id, role, added_at FROM shares WHERE vault_id = $v ORDER BY peer_id", ReadShare, ("$v", vaultId));

    public IReadOnlyList<ShareRecord> SharesWithPeer(string peerId) =>
        Query("SELECT vault_id, peer_id, role, added_at FROM shares WHERE peer_id = $p ORDER BY vault_id", ReadShare, ("$p", peerId));

    public IReadOnlyList<ShareRecord> AllShares() =>
        Query("SELECT vault_id, peer_id, role, added_at FROM shares ORDER BY vault_id, peer_id", ReadShare);

    public bool RemoveShare(string vaultId, string peerId)
    {
        lock (_gate)
        {
            using var command = Command("DELETE FROM shares WHERE vault_id = $v AND peer_id = $p", ("$v", vaultId), ("$p", peerId));
            return command.ExecuteNonQuery() > 0;
        }
    }

    /// <summary>How many up-to-date copies of a vault its owner wants on peers (0: no policy).</summary>
    public int CopiesWanted(string vaultId) =>
        Query("SELECT copies FROM replication_policy WHERE vault_id = $v", r => r.GetInt32(0), ("$v", vaultId)).FirstOrDefault();

    public IReadOnlyList<string> VaultsWithCopiesWanted() =>
        Query("SELECT vault_id FROM replication_policy WHERE copies > 0 ORDER BY vault_id", r => r.GetString(0));

    public void SetCopiesWanted(string vaultId, int copies) => Execute(
        "INSERT INTO replication_policy (vault_id, copies) VALUES ($v, $c) ON CONFLICT(vault_id) DO UPDATE SET copies = $c", ("$v", vaultId), ("$c", copies));

    /// <summary>Lets a pinned device fetch this node's replica of a vault, to recover it (<c>dupa recover --from</c>).</summary>
    public void GrantRecovery(string vaultId, string peerId, DateTimeOffset at) => Execute(
        "INSERT INTO recovery_grants (vault_id, peer_id, added_at) VALUES ($v, $p, $t) ON CONFLICT(vault_id, peer_id) DO NOTHING",
        ("$v", vaultId), ("$p", peerId), ("$t", Time(at)));

    public bool RevokeRecovery(string vaultId, string peerId)
    {
        lock (_gate)
        {
            using var command = Command("DELETE FROM recovery_grants WHERE vault_id = $v AND peer_id = $p", ("$v", vaultId), ("$p", peerId));
            return command.ExecuteNonQuery() > 0;
        }
    }

    public IReadOnlyList<string> RecoveryGrantsOf(string peerId) =>
        Query("SELECT vault_id FROM recovery_grants WHERE peer_id = $p ORDER BY vault_id", r => r.GetString(0), ("$p", peerId));

    private static ShareRecord ReadShare(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3)));

    public void AddRefreshToken(RefreshToken token) => Execute(
        "INSERT INTO refresh_tokens (hash, user_id, family, expires_at) VALUES ($h, $u, $f, $e)",
        ("$h", token.Hash), ("$u", token.UserId), ("$f", token.Family), ("$e", Time(token.ExpiresAt)));

    public RefreshToken? FindRefreshToken(byte[] hash) =>
        Query("SELECT hash, user_id, family, expires_at, used, revoked FROM refresh_tokens WHERE hash = $h",
            r => new RefreshToken((byte[])r.GetValue(0), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3)), r.GetInt64(4) != 0, r.GetInt64(5) != 0), ("$h", hash)).FirstOrDefault();

    /// <summary>Marks a refresh token used; false if it already was (a replay).</summary>
    public bool MarkRefreshTokenUsed(byte[] hash)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE refresh_tokens SET used = 1 WHERE hash = $h AND used = 0", ("$h", hash));
            return command.ExecuteNonQuery() == 1;
        }
    }

    public void RevokeFamily(string family) => Execute("UPDATE refresh_tokens SET revoked = 1 WHERE family = $f", ("$f", family));

    public void AddApiToken(ApiToken token, byte[] hash) => Execute(
        "INSERT INTO api_tokens (id, user_id, name, hash, scopes, expires_at, created_at) VALUES ($id, $u, $n, $h, $s, $e, $c)",
        ("$id", token.Id), ("$u", token.UserId), ("$n", token.Name), ("$h", hash), ("$s", token.Scopes), ("$e", token.ExpiresAt is { } e ? Time(e) : DBNull.Value), ("$c", Time(token.CreatedAt)));

    public ApiToken? FindApiTokenByHash(byte[] hash) =>
        Query("SELECT id, user_id, name, scopes, expires_at, created_at, revoked FROM api_tokens WHERE hash = $h", ReadApiToken, ("$h", hash)).FirstOrDefault();

    public IReadOnlyList<ApiToken> ApiTokensOf(string userId) =>
        Query("SELECT id, user_id, name, scopes, expires_at, created_at, revoked FROM api_tokens WHERE user_id = $u ORDER BY created_at", ReadApiToken, ("$u", userId));

    public bool RevokeApiToken(string userId, string id)
    {
        lock (_gate)
        {
            using var command = Command("UPDATE api_tokens SET revoked = 1 WHERE id = $id AND user_id = $u", ("$id", id), ("$u", userId));
            return command.ExecuteNonQuery() == 1;
        }
    }

    private static ApiToken ReadApiToken(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : ParseTime(r.GetString(4)), ParseTime(r.GetString(5)), r.GetInt64(6) != 0);

    private List<User> QueryUsers(string sql, params (string, object)[] parameters) =>
        Query(sql, r => new User(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), ParseTime(r.GetString(5))), parameters);

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params (string, object)[] parameters)
    {
        lock (_gate)
        {
            using var command = Command(sql, parameters);
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(read(reader));
            }
            return rows;
        }
    }

    private T Scalar<T>(string sql)
    {
        lock (_gate)
        {
            using var command = Command(sql);
            return (T)command.ExecuteScalar()!;
        }
    }

    private void Execute(string sql, params (string, object)[] parameters)
    {
        lock (_gate)
        {
            using var command = Command(sql, parameters);
            command.ExecuteNonQuery();
        }
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public void Dispose() => _connection.Dispose();
}
