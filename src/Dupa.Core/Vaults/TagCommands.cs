using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;

namespace Dupa.Core.Vaults;

/// <summary><c>dupa tag add|rm|ls</c>: tags are recorded in the log like every other change.</summary>
public static class TagCommands
{
    /// <summary>Adds and removes tags on each path in one entry, after checking them all. Returns the paths' tags afterwards.</summary>
    public static IReadOnlyList<(string Path, IReadOnlyCollection<string> Tags)> Change(Vault vault, IReadOnlyList<string> paths, IReadOnlyList<string> add, IReadOnlyList<string> remove)
    {
        var parsed = paths.Select(VaultPath.Parse).ToList();
        var toAdd = add.Select(TagName.Normalize).Distinct(StringComparer.Ordinal).ToList();
        var toRemove = remove.Select(TagName.Normalize).Distinct(StringComparer.Ordinal).ToList();
        if (toAdd.Count + toRemove.Count == 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "give at least one tag");
        }
        foreach (var path in parsed)
        {
            if (vault.State.Get(path) is null)
            {
                throw new DupaException(ErrorCode.NotFound, $"'{path}' is not in the vault");
            }
        }
        vault.Append([.. parsed.Select(p => (Operation)new TagOp(p, toAdd.Count > 0 ? toAdd : null, toRemove.Count > 0 ? toRemove : null))]);
        // Copies: the caller may read them after the vault has moved on.
        return [.. parsed.Select(p => (p, (IReadOnlyCollection<string>)[.. vault.State.Get(p)!.Tags]))];
    }

    /// <summary>Every tag on a live path, by name, with how many paths carry it: <c>dupa tag ls</c> and the tag list of the web UI.</summary>
    public static IReadOnlyList<(string Tag, int Paths)> Counts(VaultState state) =>
        [.. state.Nodes.SelectMany(n => n.Tags).GroupBy(t => t, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];
}
