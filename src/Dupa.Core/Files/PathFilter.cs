using System.Text;
using System.Text.RegularExpressions;
using Dupa.Core.Errors;

namespace Dupa.Core.Files;

/// <summary>
/// <c>--exclude</c> patterns, as restic and rsync users expect: a pattern without '/' matches any name at any
/// depth ("*.tmp", "node_modules"); a pattern with '/' matches the whole path relative to the source
/// ("cache/**", "/build"). '*' stays within a name, '**' crosses directories, '?' is one character.
/// </summary>
public sealed class PathFilter
{
    private readonly List<Regex> _names = [];
    private readonly List<Regex> _paths = [];

    public PathFilter(IEnumerable<string> patterns)
    {
        foreach (var raw in patterns)
        {
            var pattern = raw.Trim();
            if (pattern.Length == 0 || pattern.Contains('\0'))
            {
                throw new DupaException(ErrorCode.InvalidInput, $"invalid exclude pattern '{raw}'");
            }
            pattern = pattern.TrimEnd('/');
            if (pattern.Contains('/'))
            {
                _paths.Add(ToRegex(pattern.TrimStart('/')));
            }
            else
            {
                _names.Add(ToRegex(pattern));
            }
        }
    }

    public static PathFilter None { get; } = new([]);

    /// <summary>True when the item at <paramref name="relativePath"/> ("dir/sub/name", no leading '/') is excluded.</summary>
    public bool IsExcluded(string relativePath)
    {
        if (_names.Count > 0)
        {
            var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
            if (_names.Any(r => r.IsMatch(name)))
            {
                return true;
            }
        }
        return _paths.Any(r => r.IsMatch(relativePath));
    }

    private static Regex ToRegex(string glob) =>
        new("^" + GlobPattern(glob) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));

    /// <summary>A glob as a regular expression (unanchored): '*' within a name, '**' across names, '?' one character.</summary>
    internal static string GlobPattern(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }
        return sb.ToString();
    }
}
