using Microsoft.Data.Sqlite;

namespace Dupa.Core.Index;

/// <summary>
/// Connection strings for SQLite, written here instead of by <see cref="SqliteConnectionStringBuilder"/>: the
/// builder quotes its values with four regular expressions that System.Data.Common compiles (RegexOptions.Compiled,
/// so Reflection.Emit and the JIT) the first time any is used, which every command and every node paid at start.
/// Parsing a connection string uses none of them.
/// </summary>
public static class SqliteConnectionStrings
{
    /// <summary>A connection string for the database file at <paramref name="path"/>, without pooling.</summary>
    public static string For(string path, SqliteOpenMode mode, int? defaultTimeoutSeconds = null)
    {
        // Always in double quotes, a double quote doubled: how the connection string parser reads a quoted value.
        var text = $"Data Source=\"{path.Replace("\"", "\"\"", StringComparison.Ordinal)}\";Mode={mode};Pooling=False";
        return defaultTimeoutSeconds is { } timeout ? $"{text};Default Timeout={timeout}" : text;
    }
}
