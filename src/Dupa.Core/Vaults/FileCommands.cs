using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;

namespace Dupa.Core.Vaults;

/// <summary>Small changes to the tree that are not puts: move or rename, and restoring an old version.</summary>
public static class FileCommands
{
    public static string Move(Vault vault, string from, string to)
    {
        from = VaultPath.Parse(from);
        to = VaultPath.Parse(to);
        if (from == VaultPath.Root || to == VaultPath.Root)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the root cannot be moved, and nothing can be moved onto it");
        }
        if (vault.State.Get(from) is null)
        {
            throw new DupaException(ErrorCode.NotFound, $"'{from}' is not in the vault");
        }
        if (VaultPath.IsAtOrBelow(to, from))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"cannot move '{from}' into itself");
        }
        if (vault.State.Get(to) is not null)
        {
            throw new DupaException(ErrorCode.AlreadyExists, $"'{to}' already exists");
        }
        if (VaultPath.Ancestors(to).Any(a => vault.State.Get(a) is { Type: not NodeType.Directory }))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"a parent of '{to}' is a file");
        }
        vault.State.CheckNotLocked(from, vault.NowMs, "moved", subtree: true);
        vault.State.CheckParents(to, vault.NowMs);
        vault.Append([new MoveOp(from, to)]);
        return to;
    }

    /// <summary>Makes version <paramref name="number"/> of a file its newest version again (nothing is rewritten).</summary>
    public static FileVersion RestoreVersion(Vault vault, string path, int number)
    {
        path = VaultPath.Parse(path);
        var node = vault.State.Get(path) ?? throw new DupaException(ErrorCode.NotFound, $"'{path}' is not in the vault");
        if (node.Type != NodeType.File || number < 1 || number > node.Versions.Count)
        {
            throw new DupaException(ErrorCode.NotFound, $"'{path}' has no version {number}");
        }
        vault.State.CheckPut(path, NodeType.File, vault.NowMs);
        var old = node.Versions[number - 1];
        var op = new PutOp(path, NodeType.File, old.Size, old.MtimeNs, old.Mode)
        {
            Chunks = old.Content.List is null ? old.Content.Chunks : null,
            List = old.Content.List,
            Count = old.Content.List is null ? null : old.Content.Count,
            Mime = old.Mime,
            Base = node.Current.Ref.ToString(),
        };
        vault.Append([op]);
        return vault.State.Get(path)!.Current;
    }
}
