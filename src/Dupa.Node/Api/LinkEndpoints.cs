using System.Security.Cryptography;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

/// <summary>A new link: <c>read</c> (view, download) or <c>drop</c> (upload only) of a file or folder.</summary>
public sealed record CreateLinkRequest(string Path, string? Kind, string? Password, DateTimeOffset? ExpiresAt, long? MaxUses);

/// <summary>
/// A link as its makers see it: never its secret (that is shown once, at creation), but how it was used. <c>Path</c> is
/// where its target is now (links follow moves); <c>State</c> is active, trashed (its target is in the trash),
/// expired, exhausted or revoked.
/// </summary>
public sealed record LinkView(string Id, string VaultId, string Vault, string Kind, string Path, string State, bool HasPassword, DateTimeOffset? ExpiresAt,
    long? MaxUses, long Uses, DateTimeOffset? LastUsedAt, string CreatedBy, DateTimeOffset CreatedAt);

public sealed record CreatedLink(string Id, string Secret, string Url, LinkView Link);

/// <summary>Managing a vault's public links (docs/sharing.md, Links): managers and the owner make, list and revoke them.</summary>
public static class LinkEndpoints
{
    public const int MaxPasswordLength = 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var links = app.MapGroup("/api/v1/vaults/{id}/links").WithTags("Links").RequireAuthorization(Scopes.Read);
        links.MapGet("/", List).Produces<IReadOnlyList<LinkView>>().WithSummary("The vault's links with how often and when they were used (manager or owner)");
        links.MapPost("/", Create).Produces<CreatedLink>(StatusCodes.Status201Created).RequireAuthorization(Scopes.Write)
            .WithSummary("Make a link to a file or folder: read or drop (upload only), with an optional password, expiry and use limit; the secret is shown once");
        links.MapDelete("/{link}", Revoke).RequireAuthorization(Scopes.Write).WithSummary("Revoke a link: it stops working at once");
        app.MapGet("/api/v1/links", async (HttpContext context, NodeDatabase database, VaultSessions sessions, TimeProvider time) =>
        {
            var user = CurrentUser.Get(context.User, database);
            return await ViewsAsync(database.LinksCreatedBy(user.Id).Where(l => VaultAccess.Find(database, user, l.VaultId) is not null), database, sessions, time, context.RequestAborted);
        }).RequireAuthorization(Scopes.Read).WithTags("Links").WithSummary("Every link you made, in every vault, with its use counts");
    }

    private static async Task<IResult> List(string id, HttpContext context, NodeDatabase database, VaultSessions sessions, TimeProvider time)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Manager);
        return Results.Ok(await ViewsAsync(database.LinksOfVault(id), database, sessions, time, context.RequestAborted));
    }

    private static async Task<IResult> Create(string id, CreateLinkRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions,
        PasswordHasher hasher, VaultActivity activity, TimeProvider time)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Manager);
        var kind = request.Kind ?? "read";
        if (kind is not ("read" or "drop"))
        {
            throw new DupaException(ErrorCode.InvalidInput, "kind is read or drop");
        }
        if (request.Password is { Length: > MaxPasswordLength })
        {
            throw new DupaException(ErrorCode.InvalidInput, $"a link password is up to {MaxPasswordLength} characters");
        }
        if (request.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            throw new DupaException(ErrorCode.InvalidInput, "the expiry is in the past");
        }
        if (request.MaxUses is < 1)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a use limit is 1 or more");
        }
        var path = string.IsNullOrEmpty(request.Path) ? VaultPath.Root : VaultPath.Parse(request.Path);
        var (sealedPath, sealedTarget) = await sessions.Get(id).WithVaultAsync(vault =>
        {
            var isDirectory = vault.State.IsDirectory(path);
            if (!isDirectory && vault.State.Get(path) is not { Type: NodeType.File })
            {
                throw new DupaException(ErrorCode.NotFound, $"'{path}' is not in the vault");
            }
            if (kind == "drop" && !isDirectory)
            {
                throw new DupaException(ErrorCode.InvalidInput, "a drop link points to a folder, where the uploads go");
            }
            // The target's identity as well as its path, so that the link follows it through moves and renames.
            return (vault.SealNote(path), LinkTargets.IdentityOf(vault.State, path) is { } identity ? vault.SealNote(identity) : null);
        }, context.RequestAborted);
        var secret = LinkSecrets.NewSecret();
        var link = new LinkRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), id, grant.User.Id, kind, sealedPath, LinkSecrets.HashOf(secret)!,
            string.IsNullOrEmpty(request.Password) ? null : hasher.Hash(request.Password), request.ExpiresAt, request.MaxUses, 0, null, false, time.GetUtcNow(), sealedTarget);
        database.AddLink(link);
        activity.Record(id, grant.User.Id, grant.User.Username, "link.created", $"{link.Id} ({kind})", path);
        return Results.Created($"/api/v1/vaults/{id}/links/{link.Id}", new CreatedLink(link.Id, secret, "/s/" + secret, View(link, path, trashed: false, database, time.GetUtcNow())));
    }

    private static IResult Revoke(string id, string link, HttpContext context, NodeDatabase database, VaultActivity activity)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Manager);
        if (database.FindLink(link) is not { } found || found.VaultId != id || !database.RevokeLink(found.Id))
        {
            throw new DupaException(ErrorCode.NotFound, "no such link, or it is revoked already");
        }
        activity.Record(id, grant.User.Id, grant.User.Username, "link.revoked", found.Id, null);
        return Results.NoContent();
    }

    /// <summary>active, expired, exhausted or revoked.</summary>
    public static string StateOf(LinkRecord link, DateTimeOffset now) =>
        link.Revoked ? "revoked"
        : link.ExpiresAt is { } e && e <= now ? "expired"
        : link.MaxUses is { } max && link.Uses >= max ? "exhausted"
        : "active";

    /// <summary>Views of links, each with where its target is now (read in its vault's turn); "(locked)" while the vault is.</summary>
    private static async Task<List<LinkView>> ViewsAsync(IEnumerable<LinkRecord> links, NodeDatabase database, VaultSessions sessions, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var views = new List<LinkView>();
        foreach (var link in links)
        {
            var (path, trashed) = sessions.TryGet(link.VaultId) is { } session
                ? await session.WithVaultAsync(vault => Where(vault, database, link), cancellationToken)
                : ("(locked)", false);
            views.Add(View(link, path, trashed, database, time.GetUtcNow()));
        }
        return views;
    }

    /// <summary>Where a link's target is now; one in the trash (or not found) shows its last known path.</summary>
    private static (string Path, bool Trashed) Where(Core.Vaults.Vault vault, NodeDatabase database, LinkRecord link)
    {
        var target = LinkTargets.Locate(vault, database, link);
        return (target.Path ?? vault.OpenNote(link.SealedPath) ?? "?", target.Trashed);
    }

    private static LinkView View(LinkRecord link, string path, bool trashed, NodeDatabase database, DateTimeOffset now) => new(
        link.Id, link.VaultId, database.FindVault(link.VaultId)?.Name ?? "?", link.Kind, path,
        StateOf(link, now) is var state && state == "active" && trashed ? "trashed" : state, link.PasswordHash is not null, link.ExpiresAt, link.MaxUses, link.Uses,
        link.LastUsedAt, database.FindUser(link.CreatedBy)?.Username ?? "?", link.CreatedAt);
}
