using Dupa.Node.Data;
using Dupa.Node.Events;
using Dupa.Node.Vaults;

namespace Dupa.Node.Sharing;

/// <summary>
/// What happens to a vault, told to everyone who can read it (their event sockets) and written to the node's
/// audit table with the person who did it: the vault's own log names only the device (this node).
/// </summary>
public sealed class VaultActivity(NodeDatabase database, VaultSessions sessions, EventHub events, TimeProvider time)
{
    /// <summary>A change to the vault's files by <paramref name="actor"/> (a username, or "link:ID" for a file drop).</summary>
    public void Changed(string vaultId, string? userId, string actor, string type, string? path) =>
        Changed(vaultId, userId, actor, [(type, path)]);

    /// <summary>Changes made together (the files of one upload): one audit transaction, an event each.</summary>
    public void Changed(string vaultId, string? userId, string actor, IReadOnlyList<(string Type, string? Path)> changes)
    {
        var vault = sessions.TryGet(vaultId)?.Vault;
        var now = time.GetUtcNow();
        database.AddAudits([.. changes.Select(c => new AuditEntry(0, vaultId, userId, actor, c.Type, null, c.Path is null ? null : vault?.SealNote(c.Path), now))]);
        var audience = VaultAccess.Audience(database, vaultId);
        foreach (var (type, path) in changes)
        {
            events.PublishTo(audience, new NodeEvent(type, vaultId, path, now));
        }
    }

    /// <summary>
    /// An audit entry. <paramref name="path"/> is sealed with the vault's note key when the vault is unlocked (and
    /// left out when it is not), so node.db holds no plaintext paths.
    /// </summary>
    public void Record(string vaultId, string? userId, string actor, string action, string? target, string? path)
    {
        var sealedPath = path is null ? null : sessions.TryGet(vaultId)?.Vault.SealNote(path);
        database.AddAudit(new AuditEntry(0, vaultId, userId, actor, action, target, sealedPath, time.GetUtcNow()));
    }
}
