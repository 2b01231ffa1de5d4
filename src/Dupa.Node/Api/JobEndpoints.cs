using Dupa.Core.Errors;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Jobs;
using Dupa.Node.Security;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record StartJobRequest(string Kind, bool Quick);

public sealed record JobView(string Id, string Vault, string Kind, string State, double Progress, DateTimeOffset Started, DateTimeOffset? Finished, object? Result, string? Error);

/// <summary>Background jobs: start one on a vault, follow its progress, read its result, cancel it.</summary>
public static class JobEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/vaults/{id}/jobs", Start).RequireAuthorization(Scopes.Write).WithTags("Jobs")
            .WithSummary("Start a background job on a vault: {\"kind\": \"verify\", \"quick\": false}");
        var jobs = app.MapGroup("/api/v1/jobs").WithTags("Jobs").RequireAuthorization(Scopes.Read);
        jobs.MapGet("/", (HttpContext context, JobRunner runner) => runner.JobsOf(UserId(context)).Select(View)).WithSummary("Your jobs, newest first");
        jobs.MapGet("/{job}", (string job, HttpContext context, JobRunner runner) => View(runner.Get(UserId(context), job))).WithSummary("One job: state, progress, result");
        jobs.MapDelete("/{job}", (string job, HttpContext context, JobRunner runner) =>
        {
            runner.Get(UserId(context), job).Cancel.Cancel();
            return Results.Accepted();
        }).RequireAuthorization(Scopes.Write).WithSummary("Cancel a running job");
    }

    private static IResult Start(string id, StartJobRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, JobRunner runner)
    {
        CurrentUser.OwnedVault(context.User, database, id);
        var vault = sessions.Get(id);
        if (request.Kind != "verify")
        {
            throw new DupaException(ErrorCode.InvalidInput, $"unknown job kind '{request.Kind}' (known: verify)");
        }
        var job = runner.Start(UserId(context), id, request.Kind, (progress, cancellationToken) =>
            vault.WithVaultAsync<object>(v =>
            {
                var report = new Verifier(v, new Progress<VerifyProgress>(p => progress.Report(p.PacksTotal == 0 ? 1 : (double)p.PacksDone / p.PacksTotal)))
                    .Run(request.Quick, cancellationToken);
                return new { clean = report.IsClean, problems = report.Problems, notes = report.Notes, report.Entries, report.Packs, report.Chunks, report.BytesRead };
            }, cancellationToken));
        return Results.Accepted($"/api/v1/jobs/{job.Id}", View(job));
    }

    private static string UserId(HttpContext context) => context.User.FindFirst("sub")!.Value;

    private static JobView View(Job job) => new(job.Id, job.VaultId, job.Kind, job.State.ToString().ToLowerInvariant(), job.Progress, job.Started, job.Finished, job.Result, job.Error);
}
