using Dupa.Core.Errors;
using Dupa.Core.Retention;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Jobs;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

/// <summary>A job to start: verify (quick), gc (dryRun, maxUnused) or forget (dryRun).</summary>
public sealed record StartJobRequest(string Kind, bool Quick = false, bool DryRun = false, double? MaxUnused = null);

/// <summary>A verify job's result.</summary>
public sealed record VerifyJobResult(bool Clean, IReadOnlyList<VerifyProblem> Problems, IReadOnlyList<string> Notes, int Entries, int Packs, int Chunks, long BytesRead);

/// <summary>A forget job's result: the versions dropped and the trash items purged (or, with a dry run, that would be).</summary>
public sealed record ForgetJobResult(bool DryRun, IReadOnlyList<ForgottenVersion> Dropped, IReadOnlyList<PurgedTrashItem> Purged);

public sealed record ForgottenVersion(string Path, string Version, long Size);

public sealed record PurgedTrashItem(string Item, string Path);

public sealed record JobView(string Id, string Vault, string Kind, string State, double Progress, DateTimeOffset Started, DateTimeOffset? Finished, object? Result, string? Error);

/// <summary>Background jobs: start one on a vault, follow its progress, read its result, cancel it.</summary>
public static class JobEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/vaults/{id}/jobs", Start).RequireAuthorization(Scopes.Write).WithTags("Jobs")
            .WithSummary("Start a background job on a vault: verify, gc or forget");
        var jobs = app.MapGroup("/api/v1/jobs").WithTags("Jobs").RequireAuthorization(Scopes.Read);
        // A job's result names paths of its vault: it is shown only while its starter may still manage that vault.
        jobs.MapGet("/", (HttpContext context, JobRunner runner, NodeDatabase database) =>
            database.FindUser(UserId(context)) is { } user
                ? runner.JobsOf(user.Id).Where(j => VaultAccess.Find(database, user, j.VaultId) is { } grant && VaultRoles.Includes(grant.Role, VaultRoles.Manager)).Select(View).ToList()
                : []).WithSummary("Your jobs, newest first");
        jobs.MapGet("/{job}", (string job, HttpContext context, JobRunner runner, NodeDatabase database) => View(StillAllowed(runner.Get(UserId(context), job), context, database)))
            .WithSummary("One job: state, progress, result");
        jobs.MapDelete("/{job}", (string job, HttpContext context, JobRunner runner, NodeDatabase database) =>
        {
            StillAllowed(runner.Get(UserId(context), job), context, database).Cancel.Cancel();
            return Results.Accepted();
        }).RequireAuthorization(Scopes.Write).WithSummary("Cancel a running job");
    }

    private static Job StillAllowed(Job job, HttpContext context, NodeDatabase database)
    {
        VaultAccess.Require(context.User, database, job.VaultId, VaultRoles.Manager);
        return job;
    }

    private static IResult Start(string id, StartJobRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, JobRunner runner)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Manager);
        var vault = sessions.Get(id);
        Func<Vault, IProgress<double>, CancellationToken, object> work = request.Kind switch
        {
            "verify" => (v, progress, cancellationToken) =>
            {
                var report = new Verifier(v, new Progress<VerifyProgress>(p => progress.Report(p.PacksTotal == 0 ? 1 : (double)p.PacksDone / p.PacksTotal)))
                    .Run(request.Quick, cancellationToken);
                return new VerifyJobResult(report.IsClean, report.Problems, report.Notes, report.Entries, report.Packs, report.Chunks, report.BytesRead);
            }
            ,
            "gc" => (v, progress, cancellationToken) =>
                new GarbageCollector(v, new Progress<GcProgress>(p => progress.Report(p.Total == 0 ? 1 : (double)p.Done / p.Total)))
                    .Run(request.DryRun, request.MaxUnused ?? GarbageCollector.DefaultMaxUnused, cancellationToken),
            "forget" => (v, _, _) =>
            {
                var plan = Forgetter.Plan(v.State, v.Time.GetUtcNow());
                var dropped = plan.Dropped.Select(d => new ForgottenVersion(d.Path, d.Version.Ref.ToString(), d.Version.Size)).ToList();
                var purged = plan.Purged.Select(t => new PurgedTrashItem(t.Id.ToString(), t.Path)).ToList();
                if (!request.DryRun)
                {
                    Forgetter.Apply(v, plan);
                }
                return new ForgetJobResult(request.DryRun, dropped, purged);
            }
            ,
            _ => throw new DupaException(ErrorCode.InvalidInput, $"unknown job kind '{request.Kind}' (known: verify, gc, forget)"),
        };
        var job = runner.Start(UserId(context), id, request.Kind, (progress, cancellationToken) =>
            vault.WithVaultAsync(v => work(v, progress, cancellationToken), cancellationToken));
        return Results.Accepted($"/api/v1/jobs/{job.Id}", View(job));
    }

    private static string UserId(HttpContext context) => context.User.FindFirst("sub")!.Value;

    private static JobView View(Job job) => new(job.Id, job.VaultId, job.Kind, job.State.ToString().ToLowerInvariant(), job.Progress, job.Started, job.Finished, job.Result, job.Error);
}
