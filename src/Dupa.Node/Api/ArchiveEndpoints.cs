using System.IO.Compression;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;
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

/// <summary>Several files and folders of one vault (absolute paths), as they are now or were at <c>At</c>.</summary>
public sealed record ArchiveRequest(IReadOnlyList<string>? Paths, DateTimeOffset? At);

/// <summary>
/// <c>GET /api/v1/vaults/{id}/archive/{path}</c>: a folder (or the whole vault) as a zip, written straight to the
/// response as it is read from the vault: no temporary file and no plaintext on disk, memory bounded by one
/// chunk. Entries are stored without compression: the vault already compresses, and photos and videos, the bulk
/// of a family's folders, do not shrink. <c>POST /api/v1/vaults/{id}/archive</c> zips a selection the same way,
/// through a download ticket, so that the browser saves it straight to disk.
/// </summary>
public static partial class ArchiveEndpoints
{
    private sealed record Item(string Name, FileVersion Version, bool IsDirectory);

    /// <summary>A zip of one selection holds at most this many picked items (each may be a whole folder).</summary>
    public const int MaxSelection = 10_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/vaults/{id}/archive/{**path}", Archive).WithTags("Files").RequireAuthorization(Scopes.Read)
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .WithSummary("Download a folder as a zip stream (?at=TIME for the folder as it was then)");
        app.MapPost("/api/v1/vaults/{id}/archive", Select).WithTags("Files").RequireAuthorization(Scopes.Read).Produces<DownloadTicketView>()
            .WithSummary("A 60-second download link (as download-tickets answers) for several files and folders as one zip");
    }

    private static async Task Archive(string id, string? path, string? at, HttpContext context, NodeDatabase database, VaultSessions sessions, ILoggerFactory loggers)
    {
        var root = string.IsNullOrEmpty(path) ? VaultPath.Root : VaultPath.Parse(path);
        var time = at is null ? (DateTimeOffset?)null : Times.Parse(at);
        VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        await WriteArchiveAsync(sessions.Get(id), root, time, context, loggers);
    }

    /// <summary>
    /// Checks the selection now, so that a mistake is a problem answer to this request rather than a broken download,
    /// and answers a ticket; the zip itself is written when the browser follows the ticket (<see cref="WriteSelectionAsync"/>).
    /// </summary>
    private static async Task<IResult> Select(string id, ArchiveRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, DownloadTickets tickets, TimeProvider time)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        var session = sessions.Get(id);
        var paths = ParseSelection(request.Paths);
        var items = await session.WithVaultAsync(vault => ListSelection(StateOf(vault, request.At), paths), context.RequestAborted);
        // The zip is named after the folder the items were picked in (all in one, as the browser picks them).
        var folder = VaultPath.Parent(items.Selected[0]);
        var common = items.Selected.All(p => VaultPath.Parent(p) == folder) ? folder : VaultPath.Root;
        return Results.Ok(DownloadTicketEndpoints.Issue(tickets, time,
            new DownloadTicket(context.User.FindFirst("sub")!.Value, id, common, null, request.At, Archive: true, default, items.Selected)));
    }

    /// <summary>Streams the folder at <paramref name="root"/> as a zip into the response.</summary>
    internal static async Task WriteArchiveAsync(UnlockedVault session, string root, DateTimeOffset? time, HttpContext context, ILoggerFactory loggers)
    {
        // The listing is taken in one turn on the vault; file contents are then read chunk by chunk outside it.
        var items = await session.WithVaultAsync(vault => ListFolder(StateOf(vault, time), root), context.RequestAborted);
        await StreamZipAsync(session, items, root == VaultPath.Root ? "vault" : VaultPath.Name(root), context, loggers);
    }

    /// <summary>Streams several files and folders, picked in <paramref name="folder"/>, as one zip into the response.</summary>
    internal static async Task WriteSelectionAsync(UnlockedVault session, string folder, IReadOnlyList<string> paths, DateTimeOffset? time, HttpContext context, ILoggerFactory loggers)
    {
        var items = await session.WithVaultAsync(vault => ListSelection(StateOf(vault, time), paths).Items, context.RequestAborted);
        var name = (folder == VaultPath.Root ? "vault" : VaultPath.Name(folder)) + $" ({paths.Count} items)";
        await StreamZipAsync(session, items, name, context, loggers);
    }

    private static VaultState StateOf(Vault vault, DateTimeOffset? time) => time is { } t ? vault.StateAt(t) : vault.State;

    private static List<Item> ListFolder(VaultState state, string root)
    {
        if (!state.IsDirectory(root))
        {
            throw state.Get(root) is null
                ? new DupaException(ErrorCode.NotFound, $"'{root}' is not in the vault")
                : new DupaException(ErrorCode.InvalidInput, $"'{root}' is not a folder; download files from /files/");
        }
        // Names as in the vault, from the folder itself down: a zip of /Photos unpacks into Photos/.
        return state.Subtree(root)
            .Where(n => n.Path != root && n.Type is NodeType.File or NodeType.Directory)
            .Select(n => new Item(n.Path[Prefix(root).Length..], n.Current, n.Type == NodeType.Directory))
            .ToList();
    }

    /// <summary>What the zip of a folder's entries holds before each one: everything up to the folder's own name.</summary>
    private static string Prefix(string path) => path == VaultPath.Root ? "/" : path[..(path.LastIndexOf('/') + 1)];

    private static List<string> ParseSelection(IReadOnlyList<string>? paths)
    {
        if (paths is null || paths.Count == 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "choose at least one file or folder to download");
        }
        if (paths.Count > MaxSelection)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"choose at most {MaxSelection} items, or download their folder");
        }
        var parsed = paths.Select(p => VaultPath.Parse(p ?? "")).Distinct(StringComparer.Ordinal).ToList();
        if (parsed.Contains(VaultPath.Root))
        {
            throw new DupaException(ErrorCode.InvalidInput, "'/' is the whole vault; download it as a folder");
        }
        return parsed;
    }

    /// <summary>
    /// The entries of a zip of several picked items, each named from itself down ("a.jpg", "Trip/day 2/b.jpg"). An
    /// item inside another picked folder is in the zip through that folder; two items of the same name cannot both be.
    /// </summary>
    private static (List<Item> Items, List<string> Selected) ListSelection(VaultState state, IReadOnlyList<string> paths)
    {
        var picked = paths.ToHashSet(StringComparer.Ordinal);
        var selected = paths.Where(p => !InsideAnyOf(p, picked)).ToList();
        var items = new List<Item>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in selected)
        {
            var node = state.Get(path);
            if (node is null || node.Type is not (NodeType.File or NodeType.Directory))
            {
                throw new DupaException(ErrorCode.InvalidInput, node is null ? $"'{path}' is not in the vault" : $"'{path}' is neither a file nor a folder");
            }
            if (!names.Add(VaultPath.Name(path)))
            {
                throw new DupaException(ErrorCode.InvalidInput, $"two of the chosen items are named '{VaultPath.Name(path)}'; a zip cannot hold both side by side");
            }
            items.AddRange(state.Subtree(path)
                .Where(n => n.Type is NodeType.File or NodeType.Directory)
                .Select(n => new Item(n.Path[Prefix(path).Length..], n.Current, n.Type == NodeType.Directory)));
        }
        return (items, selected);
    }

    /// <summary>Whether a folder above <paramref name="path"/> is in <paramref name="folders"/> (walks up: depth, not the selection's size).</summary>
    private static bool InsideAnyOf(string path, HashSet<string> folders)
    {
        for (var parent = VaultPath.Parent(path); parent != VaultPath.Root; parent = VaultPath.Parent(parent))
        {
            if (folders.Contains(parent))
            {
                return true;
            }
        }
        return false;
    }

    private static async Task StreamZipAsync(UnlockedVault session, List<Item> items, string name, HttpContext context, ILoggerFactory loggers)
    {
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
        // A backslash is a separator to some extractors: a name holding one must not climb out of the folder there.
        var name = item.Name.Replace('\\', '_');
        var entry = zip.CreateEntry(item.IsDirectory ? name + "/" : name, CompressionLevel.NoCompression);
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
