using System.Globalization;
using System.Security.Cryptography;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Uploads;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Dupa.Node.Api;

/// <summary>What a link's visitor learns before opening it: what kind of link, and to what (its name, not its place in the vault).</summary>
public sealed record LinkInfoView(string Kind, string Name, string Type, long? Size, string? Mime, DateTimeOffset? ExpiresAt, long? UsesLeft);

/// <summary>An entry under a folder link; paths are relative to the link's folder.</summary>
public sealed record LinkEntryView(string Name, string Path, string Type, long Size, DateTimeOffset Modified, string? Mime);

public sealed record LinkListingView(string Path, IReadOnlyList<LinkEntryView> Entries);

public sealed record LinkAccessRequest(string Password);

public sealed record LinkAccessView(string Access, DateTimeOffset ExpiresAt);

public sealed record DroppedView(IReadOnlyList<string> Stored);

/// <summary>
/// The public side of links (docs/sharing.md, Links), for visitors without an account: <c>/api/v1/links/{secret}</c>.
/// An unknown, revoked or expired secret, and one whose maker lost the right to share, are all 404 alike, so
/// links cannot be told apart from guesses; a used-up link is 410; a missing or wrong password 401 (rate-limited
/// like logins, then 429); a locked vault 503. A drop link only takes uploads: it never lists or serves a file.
/// </summary>
public static class PublicLinkEndpoints
{
    public const string PasswordHeader = "X-Dupa-Link-Password";
    public const string AccessHeader = "X-Dupa-Link-Access";
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private static readonly HashSet<string> InlineTypes = new(StringComparer.OrdinalIgnoreCase) { "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif" };

    private sealed record Resolved(LinkRecord Link, UnlockedVault Session, string Root);

    public static void Map(IEndpointRouteBuilder app)
    {
        var links = app.MapGroup("/api/v1/links/{secret}").WithTags("Links").AllowAnonymous();
        links.MapGet("/", Info).Produces<LinkInfoView>().WithSummary("What a link points to (public; send the link's password if it has one)");
        links.MapPost("/access", Access).Produces<LinkAccessView>()
            .WithSummary("Trade a link's password for an hour's access token (?access= or X-Dupa-Link-Access), so plain download links work");
        links.MapGet("/tree/{**path}", Tree).Produces<LinkListingView>().WithSummary("List a folder link's folder or a subfolder (public, read links only)");
        links.MapGet("/files/{**path}", Download).WithSummary("Download the linked file, or a file under a linked folder; counts one use (?inline=1 shows images in the page)");
        links.MapGet("/zip/{**path}", Zip).Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .WithSummary("Download a linked folder (or a subfolder) as a zip; counts one use");
        links.MapPost("/upload", Upload).Produces<DroppedView>().DisableAntiforgery()
            .WithSummary("Upload files to a drop link (multipart, field files); counts one use; nothing already there is overwritten or shown");
    }

    private static async Task<IResult> Info(string secret, HttpContext context, NodeDatabase database, VaultSessions sessions, LinkSecrets secrets,
        LoginThrottle throttle, TimeProvider time)
    {
        var (resolved, problem) = await ResolveAsync(secret, context, database, sessions, secrets, throttle, time);
        if (resolved is null)
        {
            return problem!;
        }
        var (link, session, root) = resolved;
        return await session.WithVaultAsync(vault =>
        {
            var usesLeft = link.MaxUses is { } max ? Math.Max(0, max - link.Uses) : (long?)null;
            if (vault.State.IsDirectory(root) || link.Kind == "drop")
            {
                return Results.Ok(new LinkInfoView(link.Kind, root == VaultPath.Root ? "files" : VaultPath.Name(root), "dir", null, null, link.ExpiresAt, usesLeft));
            }
            var node = vault.State.Get(root) ?? throw new DupaException(ErrorCode.NotFound, "the linked file is no longer there");
            return Results.Ok(new LinkInfoView(link.Kind, node.Name, "file", node.Current.Size, MimeOf(root), link.ExpiresAt, usesLeft));
        }, context.RequestAborted);
    }

    private static async Task<IResult> Access(string secret, LinkAccessRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, LinkSecrets secrets,
        LoginThrottle throttle, TimeProvider time)
    {
        var (resolved, problem) = await ResolveAsync(secret, context, database, sessions, secrets, throttle, time, checkPassword: false);
        if (resolved is null)
        {
            return problem!;
        }
        if (resolved.Link.PasswordHash is null)
        {
            throw new DupaException(ErrorCode.InvalidInput, "this link has no password");
        }
        if (CheckPassword(resolved.Link, request?.Password, context, throttle) is { } refused)
        {
            return refused;
        }
        var (token, expiresAt) = secrets.IssueAccess(resolved.Link.Id);
        return Results.Ok(new LinkAccessView(token, expiresAt));
    }

    private static async Task<IResult> Tree(string secret, string? path, HttpContext context, NodeDatabase database, VaultSessions sessions, LinkSecrets secrets,
        LoginThrottle throttle, TimeProvider time)
    {
        var (resolved, problem) = await ResolveAsync(secret, context, database, sessions, secrets, throttle, time, kind: "read");
        if (resolved is null)
        {
            return problem!;
        }
        var (_, session, root) = resolved;
        return await session.WithVaultAsync(vault =>
        {
            var target = Below(root, path);
            if (!vault.State.IsDirectory(target))
            {
                var node = vault.State.Get(target) ?? throw new DupaException(ErrorCode.NotFound, "not found under this link");
                // A link to one file: its listing is that file alone, at the link's root.
                return Results.Ok(new LinkListingView(target == root ? "/" : Relative(root, VaultPath.Parent(target)), [View(root, node)]));
            }
            var entries = vault.State.Children(target).Where(n => n.Type is NodeType.File or NodeType.Directory).Select(n => View(root, n)).ToList();
            return Results.Ok(new LinkListingView(Relative(root, target), entries));
        }, context.RequestAborted);
    }

    private static async Task<IResult> Download(string secret, string? path, bool? inline, HttpContext context, NodeDatabase database, VaultSessions sessions,
        LinkSecrets secrets, LoginThrottle throttle, TimeProvider time)
    {
        var (resolved, problem) = await ResolveAsync(secret, context, database, sessions, secrets, throttle, time, kind: "read");
        if (resolved is null)
        {
            return problem!;
        }
        var (link, session, root) = resolved;
        var target = Below(root, path);
        // A download manager resuming continues a download already counted: exactly one byte range, not from byte 0,
        // and no If-Range. Anything else (several ranges, a malformed one) may be answered with the whole file: counted.
        var counts = !(Microsoft.Net.Http.Headers.RangeHeaderValue.TryParse(context.Request.Headers.Range.ToString(), out var range)
            && range.Unit == "bytes" && range.Ranges.Count == 1 && range.Ranges.First().From > 0 && context.Request.Headers.IfRange.Count == 0);
        if (counts && !database.TryUseLink(link.Id, time.GetUtcNow()))
        {
            return Exhausted();
        }
        NoSniff(context);
        var showInline = inline == true && MimeOf(target) is { } mime && InlineTypes.Contains(mime);
        return await FileEndpoints.ServeFileAsync(session, target, null, null, attachment: !showInline, context);
    }

    private static async Task Zip(string secret, string? path, HttpContext context, NodeDatabase database, VaultSessions sessions, LinkSecrets secrets,
        LoginThrottle throttle, TimeProvider time, ILoggerFactory loggers)
    {
        var (resolved, problem) = await ResolveAsync(secret, context, database, sessions, secrets, throttle, time, kind: "read");
        if (resolved is null)
        {
            await problem!.ExecuteAsync(context);
            return;
        }
        var target = Below(resolved.Root, path);
        if (!await resolved.Session.WithVaultAsync(vault => vault.State.IsDirectory(target), context.RequestAborted))
        {
            throw new DupaException(ErrorCode.InvalidInput, "only a folder is downloaded as a zip");
        }
        if (!database.TryUseLink(resolved.Link.Id, time.GetUtcNow()))
        {
            await Exhausted().ExecuteAsync(context);
            return;
        }
        NoSniff(context);
        await ArchiveEndpoints.WriteArchiveAsync(resolved.Session, target, null, context, loggers);
    }

    private static async Task<IResult> Upload(string secret, HttpContext context, NodeDatabase database, VaultSessions sessions, LinkSecrets secrets,
        LoginThrottle throttle, VaultActivity activity, UploadSessions uploads, TimeProvider time)
    {
        var (resolved, problem) = await ResolveAsync(secret, context, database, sessions, secrets, throttle, time, kind: "drop");
        if (resolved is null)
        {
            return problem!;
        }
        var (link, session, root) = resolved;
        if (!context.Request.HasFormContentType || context.Request.ContentType?.Contains("multipart/", StringComparison.OrdinalIgnoreCase) != true)
        {
            return ProblemMapping.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "send multipart/form-data");
        }
        // An anonymous visitor may send a body of any length (chunked): it is cut off at the owner's quota.
        const string OverQuota = "this upload would exceed the vault owner's quota";
        var owner = CurrentUser.OwnerOf(database, link.VaultId);
        var allowed = owner.QuotaBytes > 0 ? Math.Max(0, owner.QuotaBytes - sessions.BytesUsedBy(owner)) : long.MaxValue;
        if ((context.Request.ContentLength ?? 0) > allowed)
        {
            throw new DupaException(ErrorCode.QuotaExceeded, OverQuota);
        }
        if (!database.TryUseLink(link.Id, time.GetUtcNow()))
        {
            return Exhausted();
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        var reader = MultipartForm.Reader(context.Request);
        var stored = new List<string>();
        while (await MultipartForm.NextAsync(reader, context.RequestAborted) is { } section)
        {
            if (!Microsoft.Net.Http.Headers.ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
            {
                continue;
            }
            // Only the file's own name: a drop does not let a visitor make folders or reach outside the link's folder.
            var name = (disposition.FileNameStar.Value ?? disposition.FileName.Value ?? "").Replace('\\', '/');
            name = name[(name.LastIndexOf('/') + 1)..];
            VaultPath.CheckComponent("the uploaded file's name", name);
            // Received whole (sealed, on disk) before the vault's turn is taken: a visitor who trickles bytes holds no
            // lock that the vault's users, other visitors or member sync wait on.
            var received = await uploads.ReceiveWholeAsync(link.VaultId, MultipartForm.Body(section), allowed, OverQuota, context.RequestAborted);
            (string Target, long Size) put;
            try
            {
                put = await session.WithVaultAsync(async vault =>
                {
                    var free = FreeName(vault.State, root, name);
                    await using var content = UploadSessions.OpenReceived(received);
                    var version = await ContentWriter.PutAsync(vault, free, content, time.GetUtcNow(), cancellationToken: context.RequestAborted);
                    return (free, version.Size);
                }, context.RequestAborted);
            }
            finally
            {
                uploads.Remove(received);
            }
            var (target, size) = put;
            allowed -= size;
            activity.Changed(link.VaultId, null, "link:" + link.Id, "file.added", target);
            // The visitor's own name back, never the stored one: "report (2).txt" would tell that "report.txt" exists.
            stored.Add(name);
        }
        return stored.Count == 0
            ? ProblemMapping.Problem(StatusCodes.Status400BadRequest, "invalid_input", "the form held no files")
            : Results.Ok(new DroppedView(stored));
    }

    /// <summary>
    /// Finds the link and checks it may be used now. Every reason a link does not exist for its visitor is the same
    /// 404, so that probing learns nothing.
    /// </summary>
    private static async Task<(Resolved? Link, IResult? Problem)> ResolveAsync(string secret, HttpContext context, NodeDatabase database, VaultSessions sessions,
        LinkSecrets secrets, LoginThrottle throttle, TimeProvider time, string? kind = null, bool checkPassword = true)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var hash = LinkSecrets.HashOf(secret);
        var link = hash is null ? null : database.FindLinkBySecretHash(hash);
        var now = time.GetUtcNow();
        if (link is null || !CryptographicOperations.FixedTimeEquals(link.SecretHash, hash) || LinkEndpoints.StateOf(link, now) is "revoked" or "expired"
            || database.FindUser(link.CreatedBy) is not { } maker || VaultAccess.Find(database, maker, link.VaultId) is not { } grant
            || !VaultRoles.Includes(grant.Role, VaultRoles.Manager))
        {
            return (null, ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such link; it may have expired or been revoked"));
        }
        if (checkPassword && link.PasswordHash is not null)
        {
            var access = context.Request.Headers[AccessHeader].ToString() is { Length: > 0 } header ? header : context.Request.Query["access"].ToString();
            if (!secrets.HasAccess(access, link.Id))
            {
                var password = context.Request.Headers[PasswordHeader].ToString();
                if (password.Length == 0)
                {
                    return (null, ProblemMapping.Problem(StatusCodes.Status401Unauthorized, "password_required", "this link has a password"));
                }
                if (CheckPassword(link, password, context, throttle) is { } refused)
                {
                    return (null, refused);
                }
            }
        }
        if (LinkEndpoints.StateOf(link, now) == "exhausted")
        {
            return (null, Exhausted());
        }
        if (kind is not null && link.Kind != kind)
        {
            return (null, link.Kind == "drop"
                ? ProblemMapping.Problem(StatusCodes.Status403Forbidden, "upload_only", "this link only takes uploads; it shows nothing")
                : ProblemMapping.Problem(StatusCodes.Status403Forbidden, "read_only", "this link does not take uploads"));
        }
        if (sessions.TryGet(link.VaultId) is not { } session)
        {
            return (null, ProblemMapping.Problem(StatusCodes.Status503ServiceUnavailable, "vault_locked",
                "the vault behind this link is locked on the node right now; ask whoever sent the link"));
        }
        // The link follows its target through moves and renames; one in the trash is gone, and says so.
        var target = await session.WithVaultAsync(vault => LinkTargets.Locate(vault, database, link), context.RequestAborted);
        if (target.Trashed)
        {
            return (null, ProblemMapping.Problem(StatusCodes.Status410Gone, "link_target_trashed",
                "what this link points to was moved to the trash; ask whoever sent the link"));
        }
        return target.Path is { } root
            ? (new Resolved(link, session, root), null)
            : (null, ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such link; it may have expired or been revoked"));
    }

    private static IResult? CheckPassword(LinkRecord link, string? password, HttpContext context, LoginThrottle throttle)
    {
        var key = "link:" + link.Id;
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(key, address) is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ProblemMapping.Problem(StatusCodes.Status429TooManyRequests, "too_many_attempts", "too many wrong passwords; try again later");
        }
        if (password is null || password.Length > LinkEndpoints.MaxPasswordLength || !PasswordHasher.Verify(password, link.PasswordHash!))
        {
            throttle.Failed(key, address);
            return ProblemMapping.Problem(StatusCodes.Status401Unauthorized, "wrong_password", "the link's password is wrong");
        }
        throttle.Succeeded(key);
        return null;
    }

    private static IResult Exhausted() => ProblemMapping.Problem(StatusCodes.Status410Gone, "link_used_up", "this link has been used as many times as it allows");

    /// <summary>A path under the link's root; the visitor's part may not climb out of it.</summary>
    private static string Below(string root, string? relative)
    {
        if (string.IsNullOrEmpty(relative) || relative == "/")
        {
            return root;
        }
        var full = VaultPath.Parse(root == VaultPath.Root ? relative : root + "/" + relative.TrimStart('/'));
        return VaultPath.IsAtOrBelow(full, root) ? full : throw new DupaException(ErrorCode.NotFound, "not found under this link");
    }

    private static string Relative(string root, string path) =>
        root == VaultPath.Root ? path : path == root || !VaultPath.IsAtOrBelow(path, root) ? "/" : path[root.Length..];

    private static LinkEntryView View(string root, TreeNode node) => new(node.Name, Relative(root, node.Path), Entries.TypeName(node.Type), node.Current.Size,
        DateTimeOffset.FromUnixTimeMilliseconds(node.Current.MtimeNs / 1_000_000), node.Type == NodeType.File ? MimeOf(node.Path) : null);

    private static string? MimeOf(string path) => ContentTypes.TryGetContentType(path, out var type) ? type : null;

    /// <summary>Files from a link are someone else's content on this origin: never sniffed, never run as a page.</summary>
    private static void NoSniff(HttpContext context)
    {
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; img-src 'self'";
    }

    /// <summary>The name itself if free, else "name (2).ext", "name (3).ext"…: a drop never replaces a file.</summary>
    private static string FreeName(VaultState state, string root, string name)
    {
        var candidate = VaultPath.Combine(root, name);
        var stem = Path.GetFileNameWithoutExtension(name);
        var extension = Path.GetExtension(name);
        for (var n = 2; state.Get(candidate) is not null || state.IsDirectory(candidate); n++)
        {
            candidate = VaultPath.Combine(root, $"{stem} ({n}){extension}");
        }
        return candidate;
    }
}
