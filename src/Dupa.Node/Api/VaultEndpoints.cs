using Dupa.Core.Errors;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record CreateVaultRequest(string Name, string Passphrase);

public sealed record UnlockRequest(string Passphrase);

public sealed record VaultView(string Id, string Name, DateTimeOffset CreatedAt, bool Unlocked);

public sealed record CreatedVault(string Id, string Name, string RecoveryKey);

/// <summary>A user's vaults: create, list, unlock (the key stays in memory only while unlocked), lock, stats.</summary>
public static class VaultEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var vaults = app.MapGroup("/api/v1/vaults").WithTags("Vaults").RequireAuthorization(Scopes.Read);
        vaults.MapGet("/", (HttpContext context, NodeDatabase database, VaultSessions sessions) =>
            database.VaultsOf(CurrentUser.Get(context.User, database).Id).Select(v => new VaultView(v.Id, v.Name, v.CreatedAt, sessions.IsUnlocked(v.Id))))
            .WithSummary("List your vaults");
        vaults.MapPost("/", Create).Produces<CreatedVault>(StatusCodes.Status201Created).RequireAuthorization(Scopes.Write)
            .WithSummary("Create a vault; the response holds its recovery key, shown this once");
        vaults.MapPost("/{id}/unlock", (string id, UnlockRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            sessions.Unlock(id, request.Passphrase ?? "");
            return Results.NoContent();
        }).RequireAuthorization(Scopes.Write).WithSummary("Unlock a vault with its passphrase");
        vaults.MapPost("/{id}/lock", (string id, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            sessions.Lock(id);
            return Results.NoContent();
        }).RequireAuthorization(Scopes.Write).WithSummary("Lock a vault: its key is dropped from memory");
        vaults.MapGet("/{id}/stats", async (string id, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            return await sessions.Get(id).WithVaultAsync(VaultStats.Compute, context.RequestAborted);
        }).WithSummary("What the vault holds, and what deduplication and compression save");
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
