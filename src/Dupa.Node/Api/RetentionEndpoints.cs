using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Retention;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record LockView(string Prefix, DateTimeOffset Until, bool Active);

public sealed record PolicyView(int TrashDays, IReadOnlyList<KeepRule> Rules, IReadOnlyList<LockView> Locks);

public sealed record SetPolicyRequest(int TrashDays, IReadOnlyList<KeepRule>? Rules);

public sealed record LockRequest(string Path, DateTimeOffset Until);

public sealed record LogRecordView(DateTimeOffset Time, string Device, long Sequence, string Action, string Summary, IReadOnlyList<string> Paths)
{
    public static LogRecordView Of(LogRecord record) =>
        new(record.Time.Time, record.Device.Hex, record.Sequence, record.Action, record.Summary, record.Paths);
}

public sealed record ChangeView(string Kind, string Path, string Type, long OldSize, long NewSize);

/// <summary>The retention policy, write-once locks, the change log and diffs between times (docs/retention.md).</summary>
public static class RetentionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/vaults/{id}").WithTags("Retention").RequireAuthorization(Scopes.Read);
        group.MapGet("/policy", GetPolicy).Produces<PolicyView>().WithSummary("The retention policy and the write-once locks");
        group.MapPut("/policy", SetPolicy).Produces<PolicyView>().RequireAuthorization(Scopes.Write)
            .WithSummary("Replace the retention policy: trash days (0 keeps the trash until emptied) and keep rules per path prefix");
        group.MapPost("/locks", AddLock).Produces<PolicyView>().RequireAuthorization(Scopes.Write)
            .WithSummary("Protect a path until a date: no delete, purge, forget, move or overwrite; locks can be extended, never lifted");
        group.MapGet("/log", Log).Produces<IReadOnlyList<LogRecordView>>().WithSummary("The history of changes, newest first (?path=, limit up to 1000, offset)");
        group.MapGet("/diff", Diff).Produces<IReadOnlyList<ChangeView>>().WithSummary("Paths added, removed and changed between ?from=TIME and ?to=TIME (default now)");
    }

    private static UnlockedVault Session(HttpContext context, NodeDatabase database, VaultSessions sessions, string id, string role = VaultRoles.Viewer)
    {
        VaultAccess.Require(context.User, database, id, role);
        return sessions.Get(id);
    }

    private static PolicyView View(Vault vault) => new(vault.State.Policy.TrashDays, vault.State.Policy.Rules,
        [.. vault.State.Locks.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new LockView(l.Key, DateTimeOffset.FromUnixTimeMilliseconds(l.Value), l.Value > vault.NowMs))]);

    private static async Task<IResult> GetPolicy(string id, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        Results.Ok(await Session(context, database, sessions, id).WithVaultAsync(View, context.RequestAborted));

    private static async Task<IResult> SetPolicy(string id, SetPolicyRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        Results.Ok(await Session(context, database, sessions, id, VaultRoles.Manager).WithVaultAsync(vault =>
        {
            PolicyCommands.SetPolicy(vault, new RetentionPolicy { TrashDays = request.TrashDays, Rules = request.Rules ?? [] });
            CurrentUser.Audit(context, id, "policy.set");
            return View(vault);
        }, context.RequestAborted));

    private static async Task<IResult> AddLock(string id, LockRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        Results.Ok(await Session(context, database, sessions, id, VaultRoles.Manager).WithVaultAsync(vault =>
        {
            PolicyCommands.Lock(vault, request.Path, request.Until);
            CurrentUser.Audit(context, id, "lock.added", request.Path);
            return View(vault);
        }, context.RequestAborted));

    private static async Task<IResult> Log(string id, string? path, int? limit, int? offset, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var take = limit is null ? 100 : limit is >= 1 and <= SearchEndpoints.MaxLimit ? limit.Value : throw new DupaException(ErrorCode.InvalidInput, $"limit is between 1 and {SearchEndpoints.MaxLimit}");
        var skip = offset is null ? 0 : offset >= 0 ? offset.Value : throw new DupaException(ErrorCode.InvalidInput, "offset cannot be negative");
        var records = await Session(context, database, sessions, id).WithVaultAsync(vault =>
            LogHistory.Records(vault.Entries, string.IsNullOrEmpty(path) ? null : path).Skip(skip).Take(take)
                .Select(LogRecordView.Of).ToList(), context.RequestAborted);
        return Results.Ok(records);
    }

    private static async Task<IResult> Diff(string id, string from, string? to, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var (start, end) = (Times.Parse(from), to is null ? (DateTimeOffset?)null : Times.Parse(to));
        var changes = await Session(context, database, sessions, id).WithVaultAsync(vault =>
            TreeDiff.Compare(vault.StateAt(start), end is { } e ? vault.StateAt(e) : vault.State)
                .Select(c => new ChangeView(c.Kind.ToString().ToLowerInvariant(), c.Path, Entries.TypeName(c.Type), c.OldSize, c.NewSize)).ToList(), context.RequestAborted);
        return Results.Ok(changes);
    }
}
