using Dupa.Core.Errors;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record MemberRequest(string Role);

/// <summary>
/// Someone with access to a vault: its owner, or a member with the role they were given, when and by whom.
/// <c>NeedsReshare</c>: their copy of the vault key was wrapped to a key pair they no longer have (an admin reset their
/// password), so they cannot unlock the vault until it is shared again. <c>PasswordSetByAdmin</c>: their password was
/// chosen by an admin and not yet changed, so the admin could open what is wrapped to them now.
/// </summary>
public sealed record MemberView(string Username, string Role, DateTimeOffset AddedAt, string? AddedBy, bool NeedsReshare = false, bool PasswordSetByAdmin = false);

public sealed record AuditView(DateTimeOffset At, string Actor, string Action, string? Target, string? Path);

/// <summary>
/// Sharing a vault with other users of the node (docs/sharing.md): the vault's key is wrapped to the member's
/// public key, so they unlock it with their own password. Managers and the owner share; everyone with access
/// sees who else has it and what they did.
/// </summary>
public static class ShareEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/api/v1/vaults/{id}").WithTags("Sharing").RequireAuthorization(Scopes.Read);
        members.MapGet("/members", List).Produces<IReadOnlyList<MemberView>>().WithSummary("Who has access to the vault: the owner and each member with their role");
        members.MapPut("/members/{username}", Share).Produces<MemberView>().RequireAuthorization(Scopes.Write)
            .WithSummary("Share the vault with a user as viewer, editor or manager, or change their role (manager or owner; the vault must be unlocked to add someone)");
        members.MapDelete("/members/{username}", Revoke).RequireAuthorization(Scopes.Write)
            .WithSummary("Take a user's access away at once (manager or owner), or leave a vault shared with you");
        members.MapGet("/audit", Audit).Produces<IReadOnlyList<AuditView>>().WithSummary("Who did what to the vault, newest first (?limit up to 1000)");
    }

    private static IResult List(string id, HttpContext context, NodeDatabase database)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        var owner = database.FindUser(grant.Vault.OwnerId);
        IEnumerable<MemberView> views = [new MemberView(owner?.Username ?? "?", VaultRoles.Owner, grant.Vault.CreatedAt, null)];
        return Results.Ok(views.Concat(database.MembersOf(id).Select(m => View(database, m))).ToList());
    }

    private static async Task<IResult> Share(string id, string username, MemberRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions,
        VaultActivity activity, TimeProvider time)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Manager);
        if (request?.Role is not { } role || !VaultRoles.Grantable.Contains(role))
        {
            throw new DupaException(ErrorCode.InvalidInput, "role is viewer, editor or manager");
        }
        var target = database.FindUserByName(username ?? "") ?? throw new DupaException(ErrorCode.NotFound, $"no user named '{username}' on this node");
        if (target.Id == grant.Vault.OwnerId)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"{target.Username} owns this vault");
        }
        var existing = database.FindMember(id, target.Id);
        byte[] wrapped;
        byte[]? keyId;
        if (sessions.TryGet(id) is { } session && database.FindUserKey(target.Id) is { } targetKey)
        {
            // Wrapped afresh whenever the vault is open: the member may have a new key pair since (an admin reset).
            wrapped = await session.WithVaultAsync(vault => vault.WrapKeyTo(targetKey.PublicKey, UserKeys.SlotFor(target.Id)), context.RequestAborted);
            keyId = targetKey.KeyId;
        }
        else if (existing is not null)
        {
            wrapped = existing.WrappedKey;
            keyId = existing.KeyId;
        }
        else if (!sessions.IsUnlocked(id))
        {
            throw new DupaException(ErrorCode.NotUnlocked, "unlock the vault to share it: its key is wrapped for the new member");
        }
        else
        {
            return ProblemMapping.Problem(StatusCodes.Status409Conflict, "no_user_key",
                $"{target.Username} has no key pair yet; it is made when they next log in, then share again");
        }
        var member = new VaultMember(id, target.Id, role, wrapped, existing?.AddedBy ?? grant.User.Id, existing?.AddedAt ?? time.GetUtcNow(), keyId);
        database.SaveMember(member);
        activity.Record(id, grant.User.Id, grant.User.Username, existing is null ? "share.added" : "share.changed", $"{target.Username} ({role})", null);
        var view = View(database, member);
        return existing is null ? Results.Created($"/api/v1/vaults/{id}/members/{Uri.EscapeDataString(target.Username)}", view) : Results.Ok(view);
    }

    private static IResult Revoke(string id, string username, HttpContext context, NodeDatabase database, VaultActivity activity)
    {
        var grant = VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        var target = database.FindUserByName(username ?? "");
        var leaving = target is not null && target.Id == grant.User.Id;
        if (!leaving && !VaultRoles.Includes(grant.Role, VaultRoles.Manager))
        {
            throw new DupaException(ErrorCode.Forbidden, $"your role on this vault is {grant.Role}; taking access away needs manager");
        }
        if (target is not null && target.Id == grant.Vault.OwnerId)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the owner cannot be removed from their vault");
        }
        if (target is null || !database.RemoveMember(id, target.Id))
        {
            throw new DupaException(ErrorCode.NotFound, $"'{username}' has no access to this vault");
        }
        activity.Record(id, grant.User.Id, grant.User.Username, leaving ? "share.left" : "share.removed", target.Username, null);
        return Results.NoContent();
    }

    private static IResult Audit(string id, int? limit, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        var take = limit is null ? 100 : limit is >= 1 and <= 1000 ? limit.Value : throw new DupaException(ErrorCode.InvalidInput, "limit is between 1 and 1000");
        var vault = sessions.TryGet(id)?.Vault;
        return Results.Ok(database.AuditOf(id, take).Select(e => new AuditView(e.At, e.Actor, e.Action, e.Target,
            e.SealedDetail is null ? null : vault?.OpenNote(e.SealedDetail) ?? "(locked)")).ToList());
    }

    private static MemberView View(NodeDatabase database, VaultMember member)
    {
        var key = database.FindUserKey(member.UserId);
        return new(database.FindUser(member.UserId)?.Username ?? "?", member.Role, member.AddedAt, database.FindUser(member.AddedBy)?.Username,
            member.NeedsReshare(key), key?.SetByAdmin == true);
    }
}
