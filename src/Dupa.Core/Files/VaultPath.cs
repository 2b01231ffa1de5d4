using System.Text;
using Dupa.Core.Errors;

namespace Dupa.Core.Files;

/// <summary>
/// Paths inside a vault: absolute, '/'-separated, normalized ("/Photos/2024/a.jpg", the root is "/").
/// Parsing is the one place where untrusted path text is checked: no "..", no ".", no NUL or control
/// characters, components of at most 255 UTF-8 bytes, at most 4096 bytes in all.
/// </summary>
public static class VaultPath
{
    public const string Root = "/";
    public const int MaxLength = 4096;
    public const int MaxComponentLength = 255;

    /// <summary>Normalizes a user-given vault path ("docs/a.txt", "/docs//a.txt/") or throws InvalidInput.</summary>
    public static string Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw Invalid(text, "the path is empty");
        }
        if (IsCanonical(text))
        {
            // The common case, a path as the log stores it: checked in place, without splitting it (folding a log
            // parses every path in it).
            return text;
        }
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var part in parts)
        {
            CheckComponent(text, part);
        }
        var path = "/" + string.Join('/', parts);
        if (Encoding.UTF8.GetByteCount(path) > MaxLength)
        {
            throw Invalid(text, $"the path is longer than {MaxLength} bytes");
        }
        return path;
    }

    /// <summary>Checks one name (a file or directory name) as it would become a path component.</summary>
    public static void CheckComponent(string context, string name) => CheckComponent(context, name.AsSpan());

    /// <summary>True for a path already in its one form ("/", or "/a/b" with no empty name); throws if a name in it is not allowed.</summary>
    private static bool IsCanonical(string text)
    {
        if (text == Root)
        {
            return true;
        }
        if (text[0] != '/' || text[^1] == '/')
        {
            return false;
        }
        for (var start = 1; start < text.Length;)
        {
            var end = text.IndexOf('/', start);
            end = end < 0 ? text.Length : end;
            if (end == start)
            {
                return false;
            }
            CheckComponent(text, text.AsSpan(start, end - start));
            start = end + 1;
        }
        if (Encoding.UTF8.GetByteCount(text) > MaxLength)
        {
            throw Invalid(text, $"the path is longer than {MaxLength} bytes");
        }
        return true;
    }

    private static void CheckComponent(string context, ReadOnlySpan<char> name)
    {
        if (name is "." or ".." || name.Length == 0)
        {
            throw Invalid(context, $"'{name}' is not allowed as a name");
        }
        foreach (var c in name)
        {
            if (c == '\0' || char.IsControl(c) || c == '/')
            {
                throw Invalid(context, "names cannot hold control characters, NUL or '/'");
            }
        }
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(name[i]))
            {
                // A lone surrogate has no UTF-8 form: two such names would become the same stored name.
                throw Invalid(context, "the name is not valid Unicode");
            }
        }
        if (Encoding.UTF8.GetByteCount(name) > MaxComponentLength)
        {
            throw Invalid(context, $"a name is longer than {MaxComponentLength} bytes");
        }
    }

    public static string Combine(string directory, string name) =>
        directory == Root ? "/" + name : directory + "/" + name;

    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? Root : path[..slash];
    }

    public static string Name(string path) => path == Root ? "" : path[(path.LastIndexOf('/') + 1)..];

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == Root || path == ancestor || (path.StartsWith(ancestor, StringComparison.Ordinal) && path.Length > ancestor.Length && path[ancestor.Length] == '/');

    /// <summary>The ancestors of a path from the top down, without the root and without the path itself.</summary>
    public static IEnumerable<string> Ancestors(string path)
    {
        for (var i = path.IndexOf('/', 1); i > 0; i = path.IndexOf('/', i + 1))
        {
            yield return path[..i];
        }
    }

    private static DupaException Invalid(string text, string why) =>
        new(ErrorCode.InvalidInput, $"invalid vault path '{Printable(text)}': {why}");

    private static string Printable(string? text)
    {
        text ??= "";
        var shown = text.Length > 80 ? text[..80] + "…" : text;
        return new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
