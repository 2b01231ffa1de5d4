using Microsoft.Data.Sqlite;

namespace Dupa.Node.Data;

/// <summary>A vault key moved to a user's new key pair: the row changes only if it still holds <c>Previous</c>.</summary>
public sealed record RewrappedKey(string VaultId, byte[] Previous, byte[] Wrapped);

public sealed partial class NodeDatabase
{
    /// <summary>
    /// Replaces a user's password and key pair in one transaction (docs/sharing.md, Users' keys): the password hash,
    /// the sealed pair, and each vault key re-wrapped to the new pair. A crash leaves either all of it or none, so
    /// the password never opens a pair other than the one stored. With <paramref name="revokeAllTokens"/> (an admin
    /// reset), every session and API token of the user ends too. Member rows written before key IDs were kept, and
    /// not re-wrapped here, were wrapped to the replaced pair: they are marked with <paramref name="replacedKeyId"/>,
    /// so they show as needing to be shared again.
    /// </summary>
    public void ReplaceUserKey(string userId, string passwordHash, UserKeyRecord key, IReadOnlyList<RewrappedKey> rewrapped, byte[]? replacedKeyId, bool revokeAllTokens)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            Run(transaction, "UPDATE users SET password_hash = $h WHERE id = $id", ("$h", passwordHash), ("$id", userId));
            using (var save = SaveUserKeyCommand(key, transaction))
            {
                save.ExecuteNonQuery();
            }
            foreach (var moved in rewrapped)
            {
                Run(transaction, "UPDATE vault_members SET wrapped_key = $k, key_id = $i WHERE vault_id = $v AND user_id = $u AND wrapped_key = $previous",
                    ("$k", moved.Wrapped), ("$i", key.KeyId), ("$v", moved.VaultId), ("$u", userId), ("$previous", moved.Previous));
            }
            if (replacedKeyId is not null)
            {
                Run(transaction, "UPDATE vault_members SET key_id = $i WHERE user_id = $u AND key_id IS NULL", ("$i", replacedKeyId), ("$u", userId));
            }
            if (revokeAllTokens)
            {
                Run(transaction, "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $u", ("$u", userId));
                Run(transaction, "UPDATE api_tokens SET revoked = 1 WHERE user_id = $u", ("$u", userId));
            }
            transaction.Commit();
        }
    }

    private void Run(SqliteTransaction transaction, string sql, params (string, object)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
