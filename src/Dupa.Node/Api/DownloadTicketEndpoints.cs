using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dupa.Core.Files;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Api;

public sealed record DownloadTicketRequest(string Path, int? Version, DateTimeOffset? At, bool Archive);

public sealed record DownloadTicketView(string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// What a ticket downloads: one file (a version, or as it was <c>At</c>), one folder as a zip (<c>Archive</c>), or
/// several files and folders as one zip (<c>Selection</c>, with <c>Path</c> the folder they were picked in).
/// </summary>
public sealed record DownloadTicket(string UserId, string VaultId, string Path, int? Version, DateTimeOffset? At, bool Archive, DateTimeOffset ExpiresAt,
    IReadOnlyList<string>? Selection = null);

/// <summary>The node's outstanding download tickets, by the SHA-256 of their secret.</summary>
public sealed class DownloadTickets
{
    public ConcurrentDictionary<string, DownloadTicket> ByHash { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Short-lived download links (docs/api.md, Downloads): a browser cannot put a bearer token on a plain link, so
/// the page asks for a ticket and navigates to it, and the file (or folder zip) streams straight to disk instead
/// of through the page's memory. A ticket names one file or folder of one vault, works for 60 seconds (a download
/// manager's Range requests included) and only while its holder may still read the vault (a revoked member's tickets
/// stop at once); only its SHA-256 is kept. Zips of a selection get their tickets from <see cref="ArchiveEndpoints"/>
/// through <see cref="Issue"/>.
/// </summary>
public static class DownloadTicketEndpoints
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/vaults/{id}/download-tickets", (string id, DownloadTicketRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, DownloadTickets tickets, TimeProvider time) =>
        {
            VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
            sessions.Get(id);
            var path = VaultPath.Parse(request.Path ?? "");
            return Results.Ok(Issue(tickets, time, new DownloadTicket(context.User.FindFirst("sub")!.Value, id, path, request.Version, request.At, request.Archive, default)));
        }).WithTags("Files").RequireAuthorization(Scopes.Read)
            .WithSummary("A 60-second link to download one file or folder (archive: true) without an Authorization header, for browsers");
        app.MapGet("/api/v1/downloads/{secret}", async (string secret, HttpContext context, NodeDatabase database, VaultSessions sessions, DownloadTickets tickets, TimeProvider time, ILoggerFactory loggers) =>
        {
            // Looked up by the secret's hash: the table holds no secret, and equal hashes mean equal secrets.
            if (!tickets.ByHash.TryGetValue(Hash(secret), out var ticket) || ticket.ExpiresAt <= time.GetUtcNow() || !VaultAccess.CanRead(database, ticket.UserId, ticket.VaultId))
            {
                await ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such download, or it has expired; start it again").ExecuteAsync(context);
                return;
            }
            var session = sessions.Get(ticket.VaultId);
            if (ticket.Selection is { } selection)
            {
                await ArchiveEndpoints.WriteSelectionAsync(session, ticket.Path, selection, ticket.At, context, loggers);
                return;
            }
            if (ticket.Archive)
            {
                await ArchiveEndpoints.WriteArchiveAsync(session, ticket.Path, ticket.At, context, loggers);
                return;
            }
            await (await FileEndpoints.ServeFileAsync(session, ticket.Path, ticket.Version, ticket.At, attachment: true, context)).ExecuteAsync(context);
        }).WithTags("Files").AllowAnonymous().WithSummary("Download through a ticket (no Authorization header: the link is the credential, for 60 seconds)");
    }

    /// <summary>Stores <paramref name="ticket"/> for <see cref="Lifetime"/> from now (its own expiry is ignored) and answers its link.</summary>
    internal static DownloadTicketView Issue(DownloadTickets tickets, TimeProvider time, DownloadTicket ticket)
    {
        var now = time.GetUtcNow();
        foreach (var expired in tickets.ByHash.Where(t => t.Value.ExpiresAt <= now).Select(t => t.Key).ToList())
        {
            tickets.ByHash.TryRemove(expired, out _);
        }
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        tickets.ByHash[Hash(secret)] = ticket with { ExpiresAt = now + Lifetime };
        return new DownloadTicketView($"/api/v1/downloads/{secret}", now + Lifetime);
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));
}
