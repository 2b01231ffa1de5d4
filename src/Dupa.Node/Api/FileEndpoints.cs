using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Retention;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Dupa.Node.Api;

public sealed record EntryView(string Name, string Path, string Type, long Size, DateTimeOffset Modified, int Versions, string Version, string? Target, string? Mime, IReadOnlyCollection<string> Tags, int? Mode = null);

/// <summary>A directory's entries, and its own time and mode (none for the vault's root).</summary>
public sealed record ListingView(string Path, string Type, IReadOnlyList<EntryView> Entries, DateTimeOffset? Modified = null, int? Mode = null);

public sealed record VersionView(int Version, string Id, DateTimeOffset Stored, long Size, DateTimeOffset Modified, string Device);

public sealed record TrashItemView(string Id, string Path, DateTimeOffset Deleted, string Type, int Files, long Size);

public sealed record TrashedView(string TrashItem);

public sealed record RestoredView(string Path);

public sealed record PurgedView(int Purged);

public sealed record MoveRequest(string From, string To);

public sealed record RestoreVersionRequest(string Path, int Version);

public sealed record RestoreTrashRequest(string? To);

/// <summary>Files of an unlocked vault: list, stat, download (Range, ETag), upload (streaming PUT), move, trash, versions.</summary>
public static class FileEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static void Map(IEndpointRouteBuilder app)
    {
        var files = app.MapGroup("/api/v1/vaults/{id}").WithTags("Files").RequireAuthorization(Scopes.Read);
        files.MapGet("/tree/{**path}", Tree).Produces<ListingView>().Produces<EntryView>().WithSummary("List a directory, or stat a file (?at=TIME for the past)");
        files.MapGet("/files/{**path}", Download).WithSummary("Download a file (?version=N or ?at=TIME); supports Range, ETag and If-None-Match");
        files.MapPut("/files/{**path}", Upload).RequireAuthorization(Scopes.Write)
            .WithSummary("Upload a file as the request body (streamed); X-Dupa-Modified sets its modification time");
        files.MapPost("/upload", UploadForm).RequireAuthorization(Scopes.Write).DisableAntiforgery()
            .WithSummary("Upload files from a multipart form (field name: files) into ?dir=/some/dir; each file is streamed");
        files.MapDelete("/files/{**path}", Delete).RequireAuthorization(Scopes.Write).WithSummary("Move a file or directory to the trash");
        files.MapGet("/versions/{**path}", Versions).WithSummary("The versions of a file");
        files.MapPost("/restore-version", RestoreVersion).RequireAuthorization(Scopes.Write).WithSummary("Make an old version the newest again");
        files.MapPost("/move", Move).RequireAuthorization(Scopes.Write).WithSummary("Move or rename a file or directory");
        files.MapGet("/trash", Trash).WithSummary("What is in the trash");
        files.MapPost("/trash/{item}/restore", RestoreTrash).RequireAuthorization(Scopes.Write).WithSummary("Put a trash item back");
        files.MapDelete("/trash/{item}", PurgeItem).RequireAuthorization(Scopes.Write).WithSummary("Purge one trash item for good");
        files.MapDelete("/trash", EmptyTrash).RequireAuthorization(Scopes.Write).WithSummary("Empty the trash for good");
    }

    /// <summary>The unlocked vault, if the caller's role on it includes <paramref name="role"/> (docs/sharing.md, Roles).</summary>
    private static UnlockedVault Open(HttpContext context, NodeDatabase database, VaultSessions sessions, string id, string role = VaultRoles.Viewer)
    {
        VaultAccess.Require(context.User, database, id, role);
        return sessions.Get(id);
    }

    /// <summary>Tells everyone who can read the vault what changed, and records who changed it.</summary>
    private static void Notify(HttpContext context, string id, string type, string? path) => CurrentUser.Activity(context, id, type, path);

    private static string PathOf(string? path) => string.IsNullOrEmpty(path) ? VaultPath.Root : VaultPath.Parse(path);

    private static async Task<IResult> Tree(string id, string? path, string? at, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var vaultPath = PathOf(path);
        var time = at is null ? (DateTimeOffset?)null : Times.Parse(at);
        return await Open(context, database, sessions, id).WithVaultAsync(vault =>
        {
            var state = time is { } t ? vault.StateAt(t) : vault.State;
            if (state.IsDirectory(vaultPath))
            {
                var self = state.Get(vaultPath)?.Current;
                return Results.Ok(new ListingView(vaultPath, "dir", state.Children(vaultPath).Select(View).ToList(),
                    self is null ? null : ModifiedOf(self), self?.Mode));
            }
            var node = state.Get(vaultPath) ?? throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault");
            return Results.Ok(View(node));
        }, context.RequestAborted);
    }

    private static async Task<IResult> Download(string id, string? path, int? version, string? at, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var vaultPath = PathOf(path);
        var time = at is null ? (DateTimeOffset?)null : Times.Parse(at);
        return await ServeFileAsync(Open(context, database, sessions, id), vaultPath, version, time, attachment: false, context);
    }

    /// <summary>A file version as a response: Range, ETag, Last-Modified; as an attachment for a plain browser download.</summary>
    internal static async Task<IResult> ServeFileAsync(UnlockedVault session, string vaultPath, int? version, DateTimeOffset? time, bool attachment, HttpContext context)
    {
        var (chosen, stream) = await session.WithVaultAsync(vault =>
        {
            var state = time is { } t ? vault.StateAt(t) : vault.State;
            var node = state.Get(vaultPath) ?? throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault");
            if (node.Type != NodeType.File)
            {
                throw new DupaException(ErrorCode.InvalidInput, $"'{vaultPath}' is not a file");
            }
            var picked = version is { } n
                ? (n >= 1 && n <= node.Versions.Count ? node.Versions[n - 1] : throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' has no version {n}"))
                : node.Current;
            return (picked, vault.OpenRead(picked));
        }, context.RequestAborted);
        // Chunks are read from immutable packs, so the body streams outside the vault's turn-taking.
        var contentType = ContentTypes.TryGetContentType(vaultPath, out var type) ? type : "application/octet-stream";
        return Results.Stream(stream, contentType, fileDownloadName: attachment ? VaultPath.Name(vaultPath) : null,
            lastModified: DateTimeOffset.FromUnixTimeMilliseconds(chosen.MtimeNs / 1_000_000),
            entityTag: new EntityTagHeaderValue($"\"{chosen.Ref}\""),
            enableRangeProcessing: true);
    }

    private static async Task<IResult> Upload(string id, string? path, HttpContext context, NodeDatabase database, VaultSessions sessions, TimeProvider clock)
    {
        var vaultPath = PathOf(path);
        if (vaultPath == VaultPath.Root)
        {
            throw new DupaException(ErrorCode.InvalidInput, "give the file's path after /files/");
        }
        var modified = context.Request.Headers["X-Dupa-Modified"].ToString() is { Length: > 0 } header ? Times.Parse(header) : clock.GetUtcNow();
        // Uploads are streamed through the chunker: no size limit beyond the disk, and nothing held in memory.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        var session = Open(context, database, sessions, id, VaultRoles.Editor);
        sessions.CheckQuota(CurrentUser.OwnerOf(database, id), context.Request.ContentLength ?? 0);
        var node = await session.WithVaultAsync(async vault =>
        {
            if (vault.State.Get(vaultPath) is { Type: not NodeType.File })
            {
                throw new DupaException(ErrorCode.AlreadyExists, $"'{vaultPath}' is a directory");
            }
            await ContentWriter.PutAsync(vault, vaultPath, context.Request.Body, modified, cancellationToken: context.RequestAborted);
            return vault.State.Get(vaultPath)!;
        }, context.RequestAborted);
        Notify(context, id, node.Versions.Count == 1 ? "file.added" : "file.changed", vaultPath);
        return Results.Created($"/api/v1/vaults/{id}/files{UrlPath(vaultPath)}", View(node));
    }

    private static async Task<IResult> UploadForm(string id, string? dir, HttpContext context, NodeDatabase database, VaultSessions sessions, TimeProvider clock)
    {
        var directory = PathOf(dir);
        if (!context.Request.HasFormContentType || context.Request.ContentType?.Contains("multipart/", StringComparison.OrdinalIgnoreCase) != true)
        {
            return ProblemMapping.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "send multipart/form-data");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        var session = Open(context, database, sessions, id, VaultRoles.Editor);
        sessions.CheckQuota(CurrentUser.OwnerOf(database, id), context.Request.ContentLength ?? 0);
        var reader = MultipartForm.Reader(context.Request);
        // The whole form is one commit: its files share packs and one log entry, instead of a pack and an entry
        // each (which made a folder of small files into as many tiny packs to store and to replicate).
        var stored = await session.WithVaultAsync(async vault =>
        {
            var ops = new List<PutOp>();
            var paths = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                while (await MultipartForm.NextAsync(reader, context.RequestAborted) is { } section)
                {
                    if (!Microsoft.Net.Http.Headers.ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                    {
                        continue;
                    }
                    // Browsers send folder uploads with relative paths in the file name ("Photos/2024/a.jpg").
                    var name = disposition.FileNameStar.Value ?? disposition.FileName.Value ?? "";
                    var target = VaultPath.Parse(VaultPath.Combine(directory, name.Replace('\\', '/')));
                    if (!paths.Add(target))
                    {
                        throw new DupaException(ErrorCode.InvalidInput, $"the form holds '{target}' twice");
                    }
                    // Each part may carry its file's modification time, as the header of a single upload does.
                    var modified = section.Headers?.TryGetValue("X-Dupa-Modified", out var header) == true ? Times.Parse(header.ToString()) : clock.GetUtcNow();
                    ops.Add(await ContentWriter.WriteFileAsync(vault, target, MultipartForm.Body(section), modified, cancellationToken: context.RequestAborted));
                }
                if (ops.Count > 0)
                {
                    vault.Append([.. ops]);
                }
            }
            catch
            {
                vault.Chunks.RollBack();
                throw;
            }
            return ops.Select(o => vault.State.Get(o.Path)!).ToList();
        }, context.RequestAborted);
        CurrentUser.Activity(context, id, [.. stored.Select(node => (node.Versions.Count == 1 ? "file.added" : "file.changed", (string?)node.Path))]);
        return stored.Count == 0
            ? ProblemMapping.Problem(StatusCodes.Status400BadRequest, "invalid_input", "the form held no files")
            : Results.Ok(stored.Select(View).ToList());
    }

    private static async Task<IResult> Delete(string id, string? path, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var vaultPath = PathOf(path);
        var item = await Open(context, database, sessions, id, VaultRoles.Editor).WithVaultAsync(vault =>
        {
            var removed = TrashCommands.Remove(vault, vaultPath);
            Forgetter.ExpireTrash(vault);
            return removed;
        }, context.RequestAborted);
        Notify(context, id, "file.deleted", vaultPath);
        return Results.Ok(new TrashedView(item.ToString()));
    }

    private static async Task<IResult> Versions(string id, string? path, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var vaultPath = PathOf(path);
        return await Open(context, database, sessions, id).WithVaultAsync(vault =>
        {
            var node = vault.State.Get(vaultPath) ?? throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault");
            return Results.Ok(node.Versions.Select((v, i) => new VersionView(i + 1, v.Ref.ToString(), v.Time.Time, v.Size,
                DateTimeOffset.FromUnixTimeMilliseconds(v.MtimeNs / 1_000_000), v.Ref.Device.Hex[..8])).ToList());
        }, context.RequestAborted);
    }

    private static async Task<IResult> RestoreVersion(string id, RestoreVersionRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var view = await Open(context, database, sessions, id, VaultRoles.Editor).WithVaultAsync(vault =>
        {
            FileCommands.RestoreVersion(vault, request.Path ?? "", request.Version);
            return View(vault.State.Get(VaultPath.Parse(request.Path ?? ""))!);
        }, context.RequestAborted);
        Notify(context, id, "file.changed", view.Path);
        return Results.Ok(view);
    }

    private static async Task<IResult> Move(string id, MoveRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var view = await Open(context, database, sessions, id, VaultRoles.Editor).WithVaultAsync(vault =>
        {
            var to = FileCommands.Move(vault, request.From ?? "", request.To ?? "");
            return View(vault.State.Get(to)!);
        }, context.RequestAborted);
        Notify(context, id, "file.moved", view.Path);
        return Results.Ok(view);
    }

    private static async Task<IResult> Trash(string id, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        Results.Ok(await Open(context, database, sessions, id).WithVaultAsync(vault =>
            vault.State.Trash.OrderByDescending(t => t.DeletedAt).Select(t => new TrashItemView(t.Id.ToString(), t.Path, t.DeletedAt.Time,
                Entries.TypeName(t.Root.Type), t.Nodes.Count(n => n.Type == NodeType.File), t.Nodes.Where(n => n.Type == NodeType.File).Sum(n => n.Current.Size))).ToList(),
            context.RequestAborted));

    private static async Task<IResult> RestoreTrash(string id, string item, RestoreTrashRequest? request, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var path = await Open(context, database, sessions, id, VaultRoles.Editor).WithVaultAsync(vault =>
        {
            var found = TrashCommands.Find(vault, item);
            TrashCommands.Restore(vault, found, request?.To);
            return found.Root.Path;
        }, context.RequestAborted);
        Notify(context, id, "file.restored", path);
        return Results.Ok(new RestoredView(path));
    }

    private static async Task<IResult> PurgeItem(string id, string item, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var path = await Open(context, database, sessions, id, VaultRoles.Manager).WithVaultAsync(vault =>
        {
            var found = TrashCommands.Find(vault, item);
            TrashCommands.Purge(vault, [found]);
            return found.Path;
        }, context.RequestAborted);
        CurrentUser.Audit(context, id, "trash.purged", path);
        return Results.NoContent();
    }

    private static async Task<IResult> EmptyTrash(HttpContext context, string id, NodeDatabase database, VaultSessions sessions)
    {
        var purged = await Open(context, database, sessions, id, VaultRoles.Manager).WithVaultAsync(vault => TrashCommands.Purge(vault, [.. vault.State.Trash]), context.RequestAborted);
        CurrentUser.Audit(context, id, "trash.emptied");
        return Results.Ok(new PurgedView(purged));
    }

    private static DateTimeOffset ModifiedOf(Core.Manifest.FileVersion version) => DateTimeOffset.FromUnixTimeMilliseconds(version.MtimeNs / 1_000_000);

    private static EntryView View(Core.Manifest.TreeNode node) => new(node.Name, node.Path, Entries.TypeName(node.Type), node.Current.Size,
        ModifiedOf(node.Current), node.Versions.Count, node.Current.Ref.ToString(), node.Current.Target, node.Current.Mime, [.. node.Tags], node.Current.Mode);

    /// <summary>A vault path escaped for a URL: a Location header must be ASCII, and names like "Zdjęcia" are not.</summary>
    internal static string UrlPath(string vaultPath) => string.Join('/', vaultPath.Split('/').Select(Uri.EscapeDataString));
}
