using Dupa.Core.Manifest;

namespace Dupa.Core.Vaults;

public enum ChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>One path that differs between two states: sizes are of the file's version on each side (0 for directories).</summary>
public sealed record TreeChange(ChangeKind Kind, string Path, NodeType Type, long OldSize, long NewSize);

/// <summary><c>dupa diff</c>: what changed between two states of the vault, path by path.</summary>
public static class TreeDiff
{
    public static IReadOnlyList<TreeChange> Compare(VaultState before, VaultState after)
    {
        var changes = new List<TreeChange>();
        foreach (var node in after.Nodes)
        {
            var old = before.Get(node.Path);
            if (old is null || old.Type != node.Type)
            {
                if (old is not null)
                {
                    changes.Add(new TreeChange(ChangeKind.Removed, old.Path, old.Type, old.Current.Size, 0));
                }
                changes.Add(new TreeChange(ChangeKind.Added, node.Path, node.Type, 0, node.Current.Size));
            }
            else if (node.Type != NodeType.Directory && old.Current.Ref != node.Current.Ref)
            {
                changes.Add(new TreeChange(ChangeKind.Changed, node.Path, node.Type, old.Current.Size, node.Current.Size));
            }
        }
        foreach (var old in before.Nodes.Where(n => after.Get(n.Path) is null))
        {
            changes.Add(new TreeChange(ChangeKind.Removed, old.Path, old.Type, old.Current.Size, 0));
        }
        return [.. changes.OrderBy(c => c.Path, StringComparer.Ordinal).ThenBy(c => c.Kind)];
    }
}
