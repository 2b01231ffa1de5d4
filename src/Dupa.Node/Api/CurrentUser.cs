using System.Security.Claims;
using Dupa.Core.Errors;
using Dupa.Node.Data;

namespace Dupa.Node.Api;

internal static class CurrentUser
{
    public static User Get(ClaimsPrincipal principal, NodeDatabase database) =>
        principal.FindFirst("sub")?.Value is { } id && database.FindUser(id) is { } user
            ? user
            : throw new DupaException(ErrorCode.NotFound, "the account no longer exists");

    /// <summary>The caller's own vault, or not-found: another user's vault is not admitted to exist, not even to an admin.</summary>
    public static VaultRecord OwnedVault(ClaimsPrincipal principal, NodeDatabase database, string vaultId)
    {
        var user = Get(principal, database);
        var vault = database.FindVault(vaultId);
        return vault is not null && vault.OwnerId == user.Id
            ? vault
            : throw new DupaException(ErrorCode.NotFound, "no such vault");
    }
}
