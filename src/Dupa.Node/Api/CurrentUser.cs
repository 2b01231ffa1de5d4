using System.Security.Claims;
using Dupa.Core.Errors;
using Dupa.Node.Data;
using Dupa.Node.Sharing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>The owner of a vault: whose quota its bytes count against, whoever uploads them.</summary>
    public static User OwnerOf(NodeDatabase database, string vaultId) =>
        database.FindVault(vaultId) is { } vault && database.FindUser(vault.OwnerId) is { } owner
            ? owner
            : throw new DupaException(ErrorCode.NotFound, "no such vault");

    /// <summary>The caller's username for the audit table (access tokens carry it; API tokens are looked up).</summary>
    public static string Name(HttpContext context) =>
        context.User.FindFirst("name")?.Value
        ?? context.RequestServices.GetRequiredService<NodeDatabase>().FindUser(context.User.FindFirst("sub")?.Value ?? "")?.Username
        ?? "unknown";

    /// <summary>A change by the caller: told to everyone who can read the vault, and recorded in its audit.</summary>
    public static void Activity(HttpContext context, string vaultId, string type, string? path) => Activity(context, vaultId, [(type, path)]);

    /// <summary>Changes the caller made together (the files of one upload form).</summary>
    public static void Activity(HttpContext context, string vaultId, IReadOnlyList<(string Type, string? Path)> changes) =>
        context.RequestServices.GetRequiredService<VaultActivity>().Changed(vaultId, context.User.FindFirst("sub")?.Value, Name(context), changes);

    /// <summary>Records something the caller did to a vault that is not a file change (a purge, a policy), in its audit only.</summary>
    public static void Audit(HttpContext context, string vaultId, string action, string? path = null) =>
        context.RequestServices.GetRequiredService<VaultActivity>().Record(vaultId, context.User.FindFirst("sub")?.Value, Name(context), action, null, path);
}
