using System.Security.Claims;
using Dupa.Core.Errors;
using Dupa.Node.Data;

namespace Dupa.Node.Sharing;

/// <summary>A caller's standing on one vault: the vault, who they are, and their role on it.</summary>
public sealed record VaultGrant(VaultRecord Vault, User User, string Role)
{
    public bool IsOwner => Role == VaultRoles.Owner;
}

/// <summary>
/// The one place that decides who may do what with a vault. Asked on every request (nothing is cached), so a
/// revoked member loses access with their next request, and a member's role change applies at once.
/// </summary>
public static class VaultAccess
{
    /// <summary>
    /// The caller's grant on the vault, if it includes <paramref name="needed"/>. Someone with no access is told the
    /// vault does not exist (404, as for any unknown ID); a member whose role is too small is told so (403).
    /// </summary>
    public static VaultGrant Require(ClaimsPrincipal principal, NodeDatabase database, string vaultId, string needed)
    {
        var user = principal.FindFirst("sub")?.Value is { } id && database.FindUser(id) is { } found
            ? found
            : throw new DupaException(ErrorCode.NotFound, "the account no longer exists");
        var grant = Find(database, user, vaultId) ?? throw new DupaException(ErrorCode.NotFound, "no such vault");
        return VaultRoles.Includes(grant.Role, needed)
            ? grant
            : throw new DupaException(ErrorCode.Forbidden, $"your role on this vault is {grant.Role}; this needs {needed}");
    }

    public static VaultGrant? Find(NodeDatabase database, User user, string vaultId)
    {
        if (database.FindVault(vaultId) is not { } vault)
        {
            return null;
        }
        if (vault.OwnerId == user.Id)
        {
            return new VaultGrant(vault, user, VaultRoles.Owner);
        }
        return database.FindMember(vaultId, user.Id) is { } member ? new VaultGrant(vault, user, member.Role) : null;
    }

    /// <summary>Whether a user (by ID) may still read a vault: for download tickets and the event feed.</summary>
    public static bool CanRead(NodeDatabase database, string userId, string vaultId) =>
        database.FindVault(vaultId) is { } vault && (vault.OwnerId == userId || database.FindMember(vaultId, userId) is not null);

    /// <summary>Everyone who may read a vault now: its owner and its members (who get its events).</summary>
    public static IReadOnlyList<string> Audience(NodeDatabase database, string vaultId) =>
        database.FindVault(vaultId) is { } vault ? [vault.OwnerId, .. database.MembersOf(vaultId).Select(m => m.UserId)] : [];
}
