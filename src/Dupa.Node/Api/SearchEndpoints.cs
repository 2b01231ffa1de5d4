using System.Globalization;
using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Search;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record SearchHitView(string Path, string Name, string Type, long Size, DateTimeOffset Modified, string? Mime, int Version, string VersionId, string Source, string? TrashItem, IReadOnlyCollection<string> Tags);

public sealed record SearchResultView(int Total, int Offset, IReadOnlyList<SearchHitView> Hits);

public sealed record TagRequest(string Path, IReadOnlyList<string>? Add, IReadOnlyList<string>? Remove);

public sealed record TagsView(string Path, IReadOnlyCollection<string> Tags);

public sealed record TagCountView(string Tag, int Paths);

/// <summary>Search with the same filters as <c>dupa find</c> (docs/search.md), and tags.</summary>
public static class SearchEndpoints
{
    public const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/vaults/{id}").WithTags("Search").RequireAuthorization(Scopes.Read);
        group.MapGet("/search", Search).Produces<SearchResultView>()
            .WithSummary("Search by name words or globs (q), type, size, modification time and tags; ?history=true&trash=true widen it, sort=path|name|size|modified, desc, limit (max 1000), offset");
        group.MapGet("/tags", Tags).Produces<IReadOnlyList<TagCountView>>().WithSummary("Every tag in the vault and how many paths have it");
        group.MapPost("/tags", ChangeTags).Produces<TagsView>().RequireAuthorization(Scopes.Write).WithSummary("Add and remove tags on a path (recorded in the log)");
    }

    private static async Task<IResult> Search(string id, string? q, string? type, long? minSize, long? maxSize, string? modifiedAfter, string? modifiedBefore,
        [FromQuery] string[]? tag, string? under, bool? history, bool? trash, string? sort, bool? desc, int? limit, int? offset, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        var query = new FileQuery
        {
            Name = q,
            Type = type,
            MinSize = minSize,
            MaxSize = maxSize,
            ModifiedFrom = modifiedAfter is null ? null : Times.Parse(modifiedAfter),
            ModifiedUntil = modifiedBefore is null ? null : Times.Parse(modifiedBefore),
            Tags = tag ?? [],
            Under = string.IsNullOrEmpty(under) ? "/" : under,
            History = history ?? false,
            Trash = trash ?? false,
            Sort = sort is null ? SearchSort.Path
                : Enum.TryParse<SearchSort>(sort, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s
                : throw new DupaException(ErrorCode.InvalidInput, "sort is one of path, name, size, modified"),
            Descending = desc ?? false,
            Limit = limit is null ? 100 : limit is >= 1 and <= MaxLimit ? limit.Value : throw new DupaException(ErrorCode.InvalidInput, $"limit is between 1 and {MaxLimit}"),
            Offset = offset is null ? 0 : offset >= 0 ? offset.Value : throw new DupaException(ErrorCode.InvalidInput, "offset cannot be negative"),
        };
        VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        // The views are made under the vault's turn, with a copy of each node's tags: a tag change or a fold may
        // change the live set while the response is being written.
        var view = await sessions.Get(id).WithVaultAsync(vault =>
        {
            var result = FileSearch.Run(vault.State, query);
            return new SearchResultView(result.Total, query.Offset, [.. result.Hits.Select(h => new SearchHitView(h.Path, h.Name, Entries.TypeName(h.Node.Type), h.Version.Size,
                DateTimeOffset.FromUnixTimeMilliseconds(h.Version.MtimeNs / 1_000_000), h.Version.Mime, h.VersionNumber, h.Version.Ref.ToString(),
                h.Source.ToString().ToLowerInvariant(), h.TrashItem?.ToString(), [.. h.Node.Tags]))]);
        }, context.RequestAborted);
        return Results.Ok(view);
    }

    private static async Task<IResult> Tags(string id, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Viewer);
        var counts = await sessions.Get(id).WithVaultAsync(vault => TagCommands.Counts(vault.State).Select(c => new TagCountView(c.Tag, c.Paths)).ToList(), context.RequestAborted);
        return Results.Ok(counts);
    }

    private static async Task<IResult> ChangeTags(string id, TagRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions)
    {
        VaultAccess.Require(context.User, database, id, VaultRoles.Editor);
        var (path, tags) = (await sessions.Get(id).WithVaultAsync(vault => TagCommands.Change(vault, [request.Path], request.Add ?? [], request.Remove ?? []), context.RequestAborted))[0];
        CurrentUser.Activity(context, id, "file.tagged", path);
        return Results.Ok(new TagsView(path, tags));
    }
}

/// <summary>How entries and times look in the API, shared by the endpoint classes.</summary>
internal static class Entries
{
    public static string TypeName(NodeType type) => type switch { NodeType.Directory => "dir", NodeType.Symlink => "symlink", _ => "file" };
}

internal static class Times
{
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new DupaException(ErrorCode.InvalidInput, $"cannot read '{text}' as a time (ISO 8601)");
}
