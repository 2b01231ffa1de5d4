using System.IO.Compression;
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
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Dupa.Node.Api;

/// <summary>
/// <c>GET /api/v1/vaults/{id}/archive/{path}</c>: a folder (or the whole vault) as a zip, written straight to the
/// response as it is read from the vault: no temporary file and no plaintext on disk, memory bounded by one
/// chunk. Entries are stored without compression: the vault already compresses, and photos and videos, the bulk
/// of a family's folders, do not shrink.
/// </summary>
public static partial class ArchiveEndpoints
{
    private sealed record Item(string Name, FileVersion Version, bool IsDirectory);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/vaults/{id}/archive/{**path}", Archive).WithTags("Files").RequireAuthorization(Scopes.Read)
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .WithSummary("Download a folder as a zip stream (?at=TIME for the folder as it was then)");

    private static async Task Archive(string id, string? path, string? at, HttpContext context, NodeDatabase database, VaultSessions sessions, ILoggerFactory loggers)
    {
        var root = string.IsNullOrEmpty(path) ? VaultPath.Root : VaultPath.Parse(path);
        var time = at is null ? (DateTimeOffset?)null : Times.Parse(at);
        VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        await WriteArchiveAsync(sessions.Get(id), root, time, context, loggers);
    }

    /// <summary>Streams the folder at <paramref name="root"/> as a zip into the response.</summary>
    internal static async Task WriteArchiveAsync(UnlockedVault session, string root, DateTimeOffset? time, HttpContext context, ILoggerFactory loggers)
    {
        // The listing is taken in one turn on the vault; file contents are then read chunk by chunk outside it.
        var items = await session.WithVaultAsync(vault =>
        {
            var state = time is { } t ? vault.StateAt(t) : vault.State;
            if (!state.IsDirectory(root))
            {
                throw state.Get(root) is null
                    ? new DupaException(ErrorCode.NotFound, $"'{root}' is not in the vault")
                    : new DupaException(ErrorCode.InvalidInput, $"'{root}' is not a folder; download files from /files/");
            }
            // Names as in the vault, from the folder itself down: a zip of /Photos unpacks into Photos/.
            var prefix = root == VaultPath.Root ? "/" : root[..(root.LastIndexOf('/') + 1)];
            return state.Subtree(root)
                .Where(n => n.Path != root && n.Type is NodeType.File or NodeType.Directory)
                .Select(n => new Item(n.Path[prefix.Length..], n.Current, n.Type == NodeType.Directory))
                .ToList();
        }, context.RequestAborted);

        var name = root == VaultPath.Root ? "vault" : root[(root.LastIndexOf('/') + 1)..];
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(name + ".zip");
        context.Response.ContentType = "application/zip";
        context.Response.Headers.ContentDisposition = disposition.ToString();
        context.Response.Headers.CacheControl = "no-store";

        try
        {
            await using var body = new AsyncOnlyWriteStream(context.Response.Body);
            await using (var zip = await ZipArchive.CreateAsync(body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, context.RequestAborted))
            {
                foreach (var item in items)
                {
                    await AddAsync(zip, item, session, context.RequestAborted);
                }
            }
            await body.FlushAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException && context.Response.HasStarted)
        {
            // Too late for a problem response: cut the connection so the client gets a truncated zip (no central
            // directory) that every unzip rejects, never one that looks whole.
            LogBroken(loggers.CreateLogger(typeof(ArchiveEndpoints)), e.GetType().Name, e is DupaException ? e.Message : "");
            context.Abort();
        }
    }

    private static async Task AddAsync(ZipArchive zip, Item item, UnlockedVault session, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(item.IsDirectory ? item.Name + "/" : item.Name, CompressionLevel.NoCompression);
        entry.LastWriteTime = ZipTime(DateTimeOffset.FromUnixTimeMilliseconds(item.Version.MtimeNs / 1_000_000));
        await using var target = await entry.OpenAsync(cancellationToken);
        if (!item.IsDirectory)
        {
            await using var source = await session.WithVaultAsync(vault => vault.OpenRead(item.Version), cancellationToken);
            await source.CopyToAsync(target, cancellationToken);
        }
    }

    /// <summary>Zip stores local times from 1980 to 2107; anything outside is clamped.</summary>
    private static DateTimeOffset ZipTime(DateTimeOffset time)
    {
        var min = new DateTimeOffset(1980, 1, 2, 0, 0, 0, TimeSpan.Zero);
        var max = new DateTimeOffset(2107, 12, 30, 0, 0, 0, TimeSpan.Zero);
        return time < min ? min : time > max ? max : time;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "zip stream stopped half-way: {Kind} {Detail}")]
    private static partial void LogBroken(ILogger logger, string kind, string detail);
}
