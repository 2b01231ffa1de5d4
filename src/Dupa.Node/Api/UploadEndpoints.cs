using System.Globalization;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Uploads;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record CreateUploadRequest(string Path, long Length, DateTimeOffset? Modified);

public sealed record UploadView(string Id, string Path, long Offset, long Length, DateTimeOffset Expires);

/// <summary>
/// Resumable uploads for large files: create a session, PATCH bytes from the <c>Upload-Offset</c> it stands at,
/// ask the offset again after a dropped connection (HEAD or GET), and the file is stored when the last byte
/// arrives. Modelled on the tus protocol's core.
/// </summary>
public static class UploadEndpoints
{
    public const string OffsetHeader = "Upload-Offset";

    public static void Map(IEndpointRouteBuilder app)
    {
        var uploads = app.MapGroup("/api/v1/vaults/{id}/uploads").WithTags("Files").RequireAuthorization(Scopes.Write);
        uploads.MapPost("/", Create).WithSummary("Start a resumable upload of a file of a known length");
        uploads.MapMethods("/{upload}", ["HEAD", "GET"], Status).WithSummary("Where an upload stands (Upload-Offset)");
        uploads.MapPatch("/{upload}", Append).WithSummary("Send bytes from Upload-Offset; the file is stored when the last byte arrives");
        uploads.MapDelete("/{upload}", Cancel).WithSummary("Abandon an upload");
    }

    private static IResult Create(string id, CreateUploadRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, UploadSessions uploads, TimeProvider clock)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Editor);
        sessions.Get(id);
        sessions.CheckQuota(CurrentUser.OwnerOf(database, id), request.Length);
        var session = uploads.Create(UserId(context), id, request.Path ?? "", request.Length, request.Modified ?? clock.GetUtcNow());
        context.Response.Headers[OffsetHeader] = "0";
        return Results.Created($"/api/v1/vaults/{id}/uploads/{session.Id}", View(session));
    }

    private static async Task<IResult> Status(string id, string upload, HttpContext context, UploadSessions uploads)
    {
        var session = uploads.Get(UserId(context), id, upload);
        var offset = await UploadSessions.SettledOffsetAsync(session, context.RequestAborted);
        context.Response.Headers[OffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Ok(View(session));
    }

    private static async Task<IResult> Append(string id, string upload, HttpContext context, NodeDatabase database, VaultSessions sessions, UploadSessions uploads)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Editor);
        var session = uploads.Get(UserId(context), id, upload);
        if (!long.TryParse(context.Request.Headers[OffsetHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"send the {OffsetHeader} header with the offset the bytes start at");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        await UploadSessions.AppendAsync(session, offset, context.Request.Body, context.RequestAborted);
        context.Response.Headers[OffsetHeader] = session.Offset.ToString(CultureInfo.InvariantCulture);
        if (session.Offset < session.Length)
        {
            return Results.NoContent();
        }
        var vault = sessions.Get(id);
        await using (var received = UploadSessions.OpenReceived(session))
        {
            await vault.WithVaultAsync(v => ContentWriter.PutAsync(v, session.Path, received, session.Modified, cancellationToken: CancellationToken.None), CancellationToken.None);
        }
        uploads.Remove(session);
        CurrentUser.Activity(context, id, "file.added", session.Path);
        return Results.Created($"/api/v1/vaults/{id}/files{FileEndpoints.UrlPath(session.Path)}", View(session));
    }

    private static IResult Cancel(string id, string upload, HttpContext context, UploadSessions uploads)
    {
        uploads.Remove(uploads.Get(UserId(context), id, upload));
        return Results.NoContent();
    }

    private static string UserId(HttpContext context) => context.User.FindFirst("sub")!.Value;

    private static UploadView View(UploadSession session) => new(session.Id, session.Path, session.Offset, session.Length, session.Expires);
}
