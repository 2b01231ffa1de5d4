using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;

namespace Dupa.Core.Vaults;

/// <summary><c>rm</c>, <c>trash restore</c> and <c>trash empty</c>: deletion goes to the trash; only purge drops data.</summary>
public static class TrashCommands
{
    /// <summary>Moves a path (and all below it) to the trash. Returns the trash item's ID.</summary>
    public static OpRef Remove(Vault vault, string path) => Remove(vault, [path])[0];

    /// <summary>Moves paths to the trash in one entry, after checking them all: either all go or none.</summary>
    public static IReadOnlyList<OpRef> Remove(Vault vault, IReadOnlyList<string> paths)
    {
        var parsed = paths.Select(VaultPath.Parse).ToList();
        foreach (var path in parsed)
        {
            if (path == VaultPath.Root)
            {
                throw new DupaException(ErrorCode.InvalidInput, "the root cannot be moved to the trash; remove what is in it instead");
            }
            if (vault.State.Get(path) is null)
            {
                throw new DupaException(ErrorCode.NotFound, $"'{path}' is not in the vault");
            }
            vault.State.CheckNotLocked(path, vault.NowMs, "moved to the trash", subtree: true);
        }
        return vault.Append(parsed.Select(p => (Operation)new TrashOp(p) { Base = vault.State.Get(p) is { Type: not NodeType.Directory } node ? node.Current.Ref.ToString() : null }).ToList());
    }

    /// <summary>Finds a trash item by its ID, a unique prefix of its short form, or the path it was deleted from (the latest such).</summary>
    public static TrashItem Find(Vault vault, string idOrPath)
    {
        if (OpRef.TryParse(idOrPath, out var id) && vault.State.GetTrashItem(id) is { } exact)
        {
            return exact;
        }
        var byShort = vault.State.Trash.Where(t => t.Id.Short.StartsWith(idOrPath, StringComparison.OrdinalIgnoreCase)).ToList();
        if (byShort.Count == 1)
        {
            return byShort[0];
        }
        if (idOrPath.StartsWith('/'))
        {
            var path = VaultPath.Parse(idOrPath);
            var byPath = vault.State.Trash.Where(t => t.Path == path).OrderByDescending(t => t.DeletedAt).FirstOrDefault();
            if (byPath is not null)
            {
                return byPath;
            }
        }
        throw new DupaException(byShort.Count > 1 ? ErrorCode.InvalidInput : ErrorCode.NotFound,
            byShort.Count > 1 ? $"'{idOrPath}' matches several trash items; give more of the ID" : $"no trash item '{idOrPath}' (see 'dupa trash ls')");
    }

    /// <summary>Puts a trash item back at its old path or at <paramref name="to"/>; a name in the way gets " (restored N)".</summary>
    public static string Restore(Vault vault, TrashItem item, string? to = null)
    {
        var target = to is null ? item.Path : VaultPath.Parse(to);
        if (target == VaultPath.Root)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a trash item cannot be restored as the root; give a path below it");
        }
        vault.State.CheckParents(target, vault.NowMs);
        vault.Append([new RestoreOp(item.Id.ToString(), target)]);
        return item.Root.Path;
    }

    /// <summary>Purges trash items for good. Returns how many were purged.</summary>
    public static int Purge(Vault vault, IReadOnlyList<TrashItem> items)
    {
        if (items.Count == 0)
        {
            return 0;
        }
        foreach (var item in items)
        {
            vault.State.CheckNotLocked(item.Path, vault.NowMs, "purged", subtree: true);
        }
        vault.Append(items.Select(i => (Operation)new PurgeOp(i.Id.ToString())).ToList());
        return items.Count;
    }
}
