using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Search;

namespace Dupa.Cli.Commands;

public static class FindCommand
{
    public static Command Build()
    {
        var name = new Argument<string[]>("WORDS") { Description = "Words each found in some part of the path (any case), or globs like *.jpg matching a whole part", Arity = ArgumentArity.ZeroOrMore };
        var type = new Option<string?>("--type", "-t") { Description = "file, dir, symlink; a media type sniffed from the content (image, video/*, application/pdf); or an extension (jpg)", HelpName = "TYPE" };
        var minSize = new Option<string?>("--min-size") { Description = "At least this size (e.g. 10M, 1.5G, 500k)", HelpName = "SIZE" };
        var maxSize = new Option<string?>("--max-size") { Description = "At most this size", HelpName = "SIZE" };
        var after = new Option<string?>("--modified-after") { Description = "Modified at or after this time (ISO 8601)", HelpName = "TIME" };
        var before = new Option<string?>("--modified-before") { Description = "Modified before this time", HelpName = "TIME" };
        var tags = new Option<string[]>("--tag") { Description = "Has this tag (repeat for several: all must be present)", HelpName = "TAG", AllowMultipleArgumentsPerToken = false };
        var under = new Option<string>("--under") { Description = "Only at or below this vault path", DefaultValueFactory = _ => "/", HelpName = "PATH" };
        var history = new Option<bool>("--history") { Description = "Also search the older versions of files" };
        var trash = new Option<bool>("--trash") { Description = "Also search the trash" };
        var sort = new Option<SearchSort>("--sort") { Description = "Sort by path, name, size or modified", DefaultValueFactory = _ => SearchSort.Path };
        var reverse = new Option<bool>("--reverse", "-r") { Description = "Sort in descending order" };
        var limit = new Option<int>("--limit") { Description = "Show at most N results", DefaultValueFactory = _ => 100, HelpName = "N" };
        var offset = new Option<int>("--offset") { Description = "Skip the first N results: the next page", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = Globals.NewCommand("find", "Search the vault by name, type, size, time and tags.", "dupa find beach --type image --modified-after 2023-06-01 --sort size -r");
        foreach (var symbol in new Symbol[] { name, type, minSize, maxSize, after, before, tags, under, history, trash, sort, reverse, limit, offset })
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Add(argument);
                    break;
                case Option option:
                    command.Add(option);
                    break;
            }
        }
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(limit) < 1 || result.GetValue(offset) < 0)
            {
                throw new DupaException(ErrorCode.InvalidInput, "--limit must be at least 1 and --offset at least 0");
            }
            var query = new FileQuery
            {
                Name = string.Join(' ', result.GetValue(name) ?? []),
                Type = result.GetValue(type),
                MinSize = result.GetValue(minSize) is { } min ? Globals.ParseSize(min) : null,
                MaxSize = result.GetValue(maxSize) is { } max ? Globals.ParseSize(max) : null,
                ModifiedFrom = result.GetValue(after) is { } a ? Globals.ParseTime(a) : null,
                ModifiedUntil = result.GetValue(before) is { } b ? Globals.ParseTime(b) : null,
                Tags = result.GetValue(tags) ?? [],
                Under = result.GetValue(under)!,
                History = result.GetValue(history),
                Trash = result.GetValue(trash),
                Sort = result.GetValue(sort),
                Descending = result.GetValue(reverse),
                Limit = result.GetValue(limit),
                Offset = result.GetValue(offset),
            };
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var parameters = new List<string> { $"q={Uri.EscapeDataString(query.Name ?? "")}", $"under={Uri.EscapeDataString(query.Under)}", $"sort={query.Sort}",
                        $"desc={query.Descending}", $"history={query.History}", $"trash={query.Trash}", $"limit={query.Limit}", $"offset={query.Offset}" };
                    parameters.AddRange(query.Tags.Select(t => "tag=" + Uri.EscapeDataString(t)));
                    if (query.Type is { } t)
                    {
                        parameters.Add("type=" + Uri.EscapeDataString(t));
                    }
                    if (query.MinSize is { } atLeast)
                    {
                        parameters.Add($"minSize={atLeast}");
                    }
                    if (query.MaxSize is { } atMost)
                    {
                        parameters.Add($"maxSize={atMost}");
                    }
                    if (query.ModifiedFrom is { } from)
                    {
                        parameters.Add("modifiedAfter=" + Uri.EscapeDataString(from.ToString("O")));
                    }
                    if (query.ModifiedUntil is { } until)
                    {
                        parameters.Add("modifiedBefore=" + Uri.EscapeDataString(until.ToString("O")));
                    }
                    return await RemoteCommands.FindAsync(remote, string.Join('&', parameters), result.GetValue(Globals.Json), cancellationToken);
                }
            }
            using var vault = Globals.Open(result, writable: false);
            var found = FileSearch.Run(vault.State, query);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new FindJson(found.Total, found.Hits.Select(h => new FindHitJson(
                    h.Path, h.Node.Type, h.Version.Size, DateTimeOffset.FromUnixTimeMilliseconds(h.Version.MtimeNs / 1_000_000),
                    h.Version.Mime, h.VersionNumber, h.Source, h.TrashItem?.Short, h.Node.Tags))));
                return ExitCodes.Ok;
            }
            foreach (var hit in found.Hits)
            {
                var where = hit.Source switch
                {
                    HitSource.OldVersion => $"  (version {hit.VersionNumber})",
                    HitSource.Trash => $"  (in the trash: {hit.TrashItem?.Short})",
                    _ => "",
                };
                var size = hit.Node.Type == NodeType.File ? Output.Size(hit.Version.Size) : "-";
                var tagText = hit.Node.Tags.Count > 0 ? "  #" + string.Join(" #", hit.Node.Tags) : "";
                Console.WriteLine($"{Output.Time(hit.Version.MtimeNs)}  {size,10}  {hit.Path}{(hit.Node.Type == NodeType.Directory ? "/" : "")}{where}{tagText}");
            }
            if (found.Total > query.Offset + found.Hits.Count)
            {
                Console.Error.WriteLine($"showing {query.Offset + 1}-{query.Offset + found.Hits.Count} of {found.Total}; more with --offset {query.Offset + found.Hits.Count}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
