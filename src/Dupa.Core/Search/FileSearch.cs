using System.Text.RegularExpressions;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;

namespace Dupa.Core.Search;

public enum SearchSort
{
    Path,
    Name,
    Size,
    Modified,
}

/// <summary>Where a hit was found: the live tree, an older version of a live file, or the trash.</summary>
public enum HitSource
{
    Current,
    OldVersion,
    Trash,
}

/// <summary>
/// What <c>dupa find</c> and the API's search look for. Every filter given must match (docs/search.md):
/// <list type="bullet">
/// <item><see cref="Name"/>: words separated by spaces, each found (case-insensitive) in some component of the
/// path; a word with <c>*</c> or <c>?</c> is a glob that must match a whole component.</item>
/// <item><see cref="Type"/>: <c>file</c>, <c>dir</c> or <c>symlink</c>; a media type (<c>image/png</c>, <c>image/*</c>)
/// or its top level (<c>image</c>, <c>video</c>, <c>audio</c>, <c>text</c>, <c>application</c>), as sniffed from the
/// content; else a file name extension (<c>jpg</c> or <c>.jpg</c>).</item>
/// <item>Sizes and modification times bound files (inclusive from, exclusive until); tags must all be present.</item>
/// </list>
/// </summary>
public sealed record FileQuery
{
    public string? Name { get; init; }

    public string? Type { get; init; }

    public long? MinSize { get; init; }

    public long? MaxSize { get; init; }

    public DateTimeOffset? ModifiedFrom { get; init; }

    public DateTimeOffset? ModifiedUntil { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Only at or below this vault path.</summary>
    public string Under { get; init; } = VaultPath.Root;

    /// <summary>Also every older version of live files.</summary>
    public bool History { get; init; }

    /// <summary>Also what is in the trash.</summary>
    public bool Trash { get; init; }

    public SearchSort Sort { get; init; }

    public bool Descending { get; init; }

    public int Offset { get; init; }

    public int Limit { get; init; } = 100;
}

/// <summary>One match: a node (and which of its versions) with where it was found.</summary>
public sealed record SearchHit(TreeNode Node, string Path, FileVersion Version, int VersionNumber, HitSource Source, OpRef? TrashItem)
{
    public string Name => VaultPath.Name(Path);
}

public sealed record SearchResult(int Total, IReadOnlyList<SearchHit> Hits);

/// <summary>
/// Searches a folded state in memory. The names are decrypted at unlock and never written anywhere
/// (docs/search.md); a scan over a million paths takes tens of milliseconds.
/// </summary>
public static class FileSearch
{
    private const int ParallelThreshold = 50_000;

    private static readonly HashSet<string> TopLevelTypes = new(StringComparer.OrdinalIgnoreCase) { "image", "video", "audio", "text", "application", "font", "model" };

    public static SearchResult Run(VaultState state, FileQuery query)
    {
        var matcher = new Matcher(query);
        var nodes = state.NodeArray;
        // Large trees are scanned in parallel slices; each slice keeps its own hits, merged in slice order.
        var slices = nodes.Length < ParallelThreshold ? 1 : Environment.ProcessorCount;
        var found = new List<SearchHit>[slices];
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = slices }, slice =>
        {
            var hitsOfSlice = found[slice] = [];
            var end = (int)((long)nodes.Length * (slice + 1) / slices);
            for (var n = (int)((long)nodes.Length * slice / slices); n < end; n++)
            {
                var node = nodes[n];
                if (!matcher.MatchesNode(node, node.Path, node.LowerPath))
                {
                    continue;
                }
                var last = query.History ? node.Versions.Count : 1;
                for (var i = 0; i < last; i++)
                {
                    var number = node.Versions.Count - i;
                    var version = node.Versions[number - 1];
                    if (matcher.MatchesVersion(version))
                    {
                        hitsOfSlice.Add(new SearchHit(node, node.Path, version, number, i == 0 ? HitSource.Current : HitSource.OldVersion, null));
                    }
                }
            }
        });
        var hits = found.SelectMany(h => h).ToList();
        if (query.Trash)
        {
            foreach (var item in state.Trash)
            {
                foreach (var node in item.Nodes)
                {
                    if (!matcher.MatchesNode(node, node.Path, node.LowerPath))
                    {
                        continue;
                    }
                    var versions = query.History ? node.Versions.Count : 1;
                    for (var i = 0; i < versions; i++)
                    {
                        var number = node.Versions.Count - i;
                        if (matcher.MatchesVersion(node.Versions[number - 1]))
                        {
                            hits.Add(new SearchHit(node, node.Path, node.Versions[number - 1], number, HitSource.Trash, item.Id));
                        }
                    }
                }
            }
        }
        var ordered = Order(hits, query.Sort, query.Descending);
        return new SearchResult(hits.Count, [.. ordered.Skip(query.Offset).Take(query.Limit)]);
    }

    private static IEnumerable<SearchHit> Order(List<SearchHit> hits, SearchSort sort, bool descending)
    {
        // The path, version and source break ties, so the order is total and paging is stable.
        IOrderedEnumerable<SearchHit> ordered = sort switch
        {
            SearchSort.Name => descending ? hits.OrderByDescending(h => h.Name, StringComparer.OrdinalIgnoreCase) : hits.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase),
            SearchSort.Size => descending ? hits.OrderByDescending(h => h.Version.Size) : hits.OrderBy(h => h.Version.Size),
            SearchSort.Modified => descending ? hits.OrderByDescending(h => h.Version.MtimeNs) : hits.OrderBy(h => h.Version.MtimeNs),
            _ => descending ? hits.OrderByDescending(h => h.Path, StringComparer.Ordinal) : hits.OrderBy(h => h.Path, StringComparer.Ordinal),
        };
        return ordered.ThenBy(h => h.Path, StringComparer.Ordinal).ThenByDescending(h => h.VersionNumber).ThenBy(h => h.Source).ThenBy(h => h.TrashItem?.ToString(), StringComparer.Ordinal);
    }

    /// <summary>The query, parsed once.</summary>
    private sealed class Matcher
    {
        private readonly string[] _words;
        private readonly Func<string, bool>[] _globs;
        private readonly NodeType? _nodeType;
        private readonly string? _mimeExact;
        private readonly string? _mimePrefix;
        private readonly string? _extension;
        private readonly FileQuery _query;
        private readonly string _under;
        private readonly long _fromNs;
        private readonly long _untilNs;
        private readonly bool _filesOnly;

        public Matcher(FileQuery query)
        {
            _query = query;
            _under = VaultPath.Parse(query.Under);
            var terms = (query.Name ?? "").ToLowerInvariant().Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries);
            static bool IsGlob(string term) => term.Contains('*') || term.Contains('?');
            // A glob matches a whole component: anchored at a '/' or an end of the path on both sides.
            _globs = [.. terms.Where(IsGlob).Select(GlobMatcher)];
            _words = [.. terms.Where(t => !IsGlob(t))];
            var type = query.Type?.Trim();
            switch (type?.ToLowerInvariant())
            {
                case null or "":
                    break;
                case "file":
                    _nodeType = NodeType.File;
                    break;
                case "dir" or "directory":
                    _nodeType = NodeType.Directory;
                    break;
                case "symlink" or "link":
                    _nodeType = NodeType.Symlink;
                    break;
                case var t when t.EndsWith("/*", StringComparison.Ordinal):
                    _mimePrefix = t[..^1];
                    break;
                case var t when t.Contains('/'):
                    _mimeExact = t;
                    break;
                case var t when TopLevelTypes.Contains(t):
                    _mimePrefix = t + "/";
                    break;
                case var t:
                    _extension = "." + t.TrimStart('.');
                    break;
            }
            if (query.MinSize < 0 || query.MaxSize < 0 || query.MinSize > query.MaxSize)
            {
                throw new DupaException(ErrorCode.InvalidInput, "the size range is empty or negative");
            }
            _fromNs = query.ModifiedFrom is { } from ? from.ToUnixTimeMilliseconds() * 1_000_000 : long.MinValue;
            _untilNs = query.ModifiedUntil is { } until ? until.ToUnixTimeMilliseconds() * 1_000_000 : long.MaxValue;
            if (_fromNs >= _untilNs)
            {
                throw new DupaException(ErrorCode.InvalidInput, "the time range is empty");
            }
            _filesOnly = _mimeExact is not null || _mimePrefix is not null || _extension is not null || query.MinSize is not null || query.MaxSize is not null
                || query.ModifiedFrom is not null || query.ModifiedUntil is not null;
        }

        /// <summary>
        /// A test of whether a glob matches some whole component of a lower-cased path. Globs of literals and
        /// '*' alone (the usual "*.jpg", "img_*") are matched piece by piece; others by a regular expression.
        /// </summary>
        private static Func<string, bool> GlobMatcher(string glob)
        {
            if (!glob.Contains('?'))
            {
                var pieces = glob.Split('*');
                return path =>
                {
                    foreach (var range in path.AsSpan().Split('/'))
                    {
                        if (StarMatch(path.AsSpan()[range], pieces))
                        {
                            return true;
                        }
                    }
                    return false;
                };
            }
            var regex = new Regex("(?:^|/)" + PathFilter.GlobPattern(glob.Replace("**", "*", StringComparison.Ordinal)) + "(?:/|$)",
                RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
            return regex.IsMatch;
        }

        /// <summary>Whether <paramref name="text"/> is pieces[0] * pieces[1] * … * pieces[^1], '*' being any run of characters.</summary>
        private static bool StarMatch(ReadOnlySpan<char> text, string[] pieces)
        {
            if (text.IsEmpty && pieces.Length > 1)
            {
                return false;
            }
            if (pieces.Length == 1)
            {
                return text.SequenceEqual(pieces[0]);
            }
            if (!text.StartsWith(pieces[0], StringComparison.Ordinal) || !text[pieces[0].Length..].EndsWith(pieces[^1], StringComparison.Ordinal))
            {
                return false;
            }
            var rest = text[pieces[0].Length..^pieces[^1].Length];
            for (var i = 1; i < pieces.Length - 1; i++)
            {
                var at = rest.IndexOf(pieces[i], StringComparison.Ordinal);
                if (at < 0)
                {
                    return false;
                }
                rest = rest[(at + pieces[i].Length)..];
            }
            return true;
        }

        /// <summary>The filters that depend on the node only: place, name, kind, tags.</summary>
        public bool MatchesNode(TreeNode node, string path, string lowerPath)
        {
            if (_under != VaultPath.Root && !VaultPath.IsAtOrBelow(path, _under))
            {
                return false;
            }
            if (_nodeType is { } type && node.Type != type)
            {
                return false;
            }
            if (_filesOnly && node.Type != NodeType.File)
            {
                return false;
            }
            foreach (var word in _words)
            {
                if (!lowerPath.Contains(word, StringComparison.Ordinal))
                {
                    return false;
                }
            }
            foreach (var glob in _globs)
            {
                if (!glob(lowerPath))
                {
                    return false;
                }
            }
            if (_extension is not null && !lowerPath.EndsWith(_extension, StringComparison.Ordinal))
            {
                return false;
            }
            foreach (var tag in _query.Tags)
            {
                if (!node.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
            return true;
        }

        /// <summary>The filters that depend on the version: media type, size, time.</summary>
        public bool MatchesVersion(FileVersion version)
        {
            if (_mimeExact is not null && !string.Equals(version.Mime, _mimeExact, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            if (_mimePrefix is not null && !(version.Mime?.StartsWith(_mimePrefix, StringComparison.OrdinalIgnoreCase) ?? false))
            {
                return false;
            }
            if (version.Size < (_query.MinSize ?? 0) || version.Size > (_query.MaxSize ?? long.MaxValue))
            {
                return false;
            }
            return version.MtimeNs >= _fromNs && version.MtimeNs < _untilNs;
        }
    }
}
