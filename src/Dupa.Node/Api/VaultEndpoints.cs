using Dupa.Core.Errors;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dupa.Node.Api;

public sealed record CreateVaultRequest(string Name, string Passphrase);

/// <summary>The owner unlocks with the vault's passphrase; a member with their own account password (either field).</summary>
public sealed record UnlockRequest(string? Passphrase, string? Password = null);

/// <summary>
/// A vault the caller can see: their own (role owner) or one shared with them (docs/sharing.md).
/// <c>NeedsReshare</c>: shared with them, but its key was wrapped to a key pair they no longer have (after an admin
/// reset their password), so they cannot unlock it themselves until the owner or a manager shares it again.
/// </summary>
public sealed record VaultView(string Id, string Name, DateTimeOffset CreatedAt, bool Unlocked, string Role, string Owner, bool NeedsReshare = false);

public sealed record CreatedVault(string Id, string Name, string RecoveryKey);

/// <summary>The owner confirms a key rotation with the vault's passphrase: it holds the root key (docs/format.md, Key epochs).</summary>
public sealed record RotateKeyRequest(string? Passphrase);

/// <summary>The key epoch data is sealed under from now on.</summary>
public sealed record RotatedKey(int Epoch);

/// <summary>A user's vaults: create, list, unlock (the key stays in memory only while unlocked), lock, stats.</summary>
public static class VaultEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var vaults = app.MapGroup("/api/v1/vaults").WithTags("Vaults").RequireAuthorization(Scopes.Read);
        vaults.MapGet("/", List).WithSummary("List your vaults and the vaults shared with you, with your role on each");
        vaults.MapPost("/", Create).Produces<CreatedVault>(StatusCodes.Status201Created).RequireAuthorization(Scopes.Write)
            .WithSummary("Create a vault; the response holds its recovery key, shown this once");
        vaults.MapPost("/{id}/unlock", Unlock).RequireAuthorization(Scopes.Write)
            .WithSummary("Unlock a vault: the owner with its passphrase, a member with their own account password");
        vaults.MapPost("/{id}/lock", (string id, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        {
            VaultAccess.Require(context.User, database, id, VaultRoles.Manager);
            sessions.Lock(id);
            return Results.NoContent();
        }).RequireAuthorization(Scopes.Write).WithSummary("Lock a vault: its key is dropped from memory");
        vaults.MapPost("/{id}/rotate-key", RotateKey).Produces<RotatedKey>().RequireAuthorization(Scopes.Write)
            .WithSummary("Rotate the vault's key: what is written from now on is sealed under a new key, which the users and member nodes it is still shared with are given and those removed before are not");
        vaults.MapGet("/{id}/stats", async (string id, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        {
            VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
            return await sessions.Get(id).WithVaultAsync(VaultStats.Compute, context.RequestAborted);
        }).WithSummary("What the vault holds, and what deduplication and compression save");
    }

    private static List<VaultView> List(HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var user = CurrentUser.Get(context.User, database);
        var own = database.VaultsOf(user.Id).Select(v => new VaultView(v.Id, v.Name, v.CreatedAt, sessions.IsUnlocked(v.Id), VaultRoles.Owner, user.Username));
        var key = database.FindUserKey(user.Id);
        var shared = database.VaultsSharedWith(user.Id).Select(s =>
            new VaultView(s.Vault.Id, s.Vault.Name, s.Vault.CreatedAt, sessions.IsUnlocked(s.Vault.Id), s.Member.Role, database.FindUser(s.Vault.OwnerId)?.Username ?? "?",
                s.Member.NeedsReshare(key)));
        return [.. own, .. shared];
    }

    private static IResult Unlock(string id, UnlockRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, UserKeys keys,
        LoginThrottle throttle, VaultActivity activity)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        if (grant.IsOwner)
        {
            sessions.Unlock(id, request.Passphrase ?? "");
            return Results.NoContent();
        }
        // A member opens their own copy of the vault key: their private key, sealed by their password, unwraps it.
        var password = request.Password ?? request.Passphrase ?? "";
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(grant.User.Username, address) is not null)
        {
            return ProblemMapping.Problem(StatusCodes.Status429TooManyRequests, "too_many_attempts", "too many wrong passwords; try again later");
        }
        if (!PasswordHasher.Verify(password, grant.User.PasswordHash))
        {
            throttle.Failed(grant.User.Username, address);
            return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "wrong_password", "a shared vault is unlocked with your own account password, and that is not it");
        }
        var member = database.FindMember(id, grant.User.Id)!;
        if (member.NeedsReshare(database.FindUserKey(grant.User.Id)))
        {
            return NeedsReshare();
        }
        using var key = keys.Open(grant.User, password);
        if (key is null)
        {
            return ProblemMapping.Problem(StatusCodes.Status409Conflict, "key_unavailable",
                "your sharing key was sealed with an earlier password (an admin reset cannot recover it); ask the owner to share the vault with you again");
        }
        try
        {
            sessions.UnlockWith(id, VaultSecret.Wrapped(key, member.WrappedKey, UserKeys.SlotFor(grant.User.Id)));
        }
        catch (DupaException e) when (e.Code == ErrorCode.WrongPassphrase)
        {
            // A row from before key IDs were kept, wrapped to a pair the user no longer has.
            return NeedsReshare();
        }
        activity.Record(id, grant.User.Id, grant.User.Username, "vault.unlocked", null, null);
        return Results.NoContent();
    }

    private static IResult NeedsReshare() => ProblemMapping.Problem(StatusCodes.Status409Conflict, "needs_reshare",
        "this vault was shared with a key pair you no longer have (an admin reset your password); ask its owner or a manager to share it with you again");

    private static async Task<IResult> RotateKey(string id, RotateKeyRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, VaultActivity activity)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Owner);
        var epoch = await sessions.RotateKeyAsync(id, request.Passphrase ?? "", context.RequestAborted);
        activity.Record(id, grant.User.Id, grant.User.Username, "vault.key_rotated", $"epoch {epoch}", null);
        // Member nodes hear of it at once and ask for the new key.
        context.RequestServices.GetService<Peers.PeerConnector>()?.Nudge(id);
        return Results.Ok(new RotatedKey(epoch));
    }

    private static IResult Create(CreateVaultRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var user = CurrentUser.Get(context.User, database);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100 || request.Name.Any(char.IsControl))
        {
            throw new DupaException(ErrorCode.InvalidInput, "a vault name is 1 to 100 printable characters");
        }
        if (string.IsNullOrEmpty(request.Passphrase) || request.Passphrase.Length > 1024)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a vault needs a passphrase (up to 1024 characters)");
        }
        var (record, recoveryKey) = sessions.Create(user, request.Name, request.Passphrase);
        return Results.Created($"/api/v1/vaults/{record.Id}", new CreatedVault(record.Id, record.Name, recoveryKey));
    }
}
