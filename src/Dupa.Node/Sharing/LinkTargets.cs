using System.Globalization;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;
using Dupa.Node.Data;

namespace Dupa.Node.Sharing;

/// <summary>Where a link's target is now: a live path, in the trash, or nowhere (docs/sharing.md, Links follow moves).</summary>
public sealed record LinkTarget(string? Path, bool Trashed)
{
    public static readonly LinkTarget InTrash = new(null, true);
    public static readonly LinkTarget Missing = new(null, false);
}

/// <summary>
/// What a link points to, kept so that it follows its file or folder through moves and renames. A node of the tree
/// keeps its <see cref="TreeNode.Lineage"/> (the operation that created it) wherever it moves, in the trash too, so
/// the identity is <c>lineage|type|rank</c>. The lineage alone is not unique: one put creates a file and the folders
/// above it that did not exist, all with the put's reference; <c>rank</c> is how many of those (same lineage and type)
/// are above the target, which moving a parent does not change. The path the link was made for is kept as well
/// and is the fallback when the identity is found nowhere.
/// </summary>
public static class LinkTargets
{
    /// <summary>The identity of the node at <paramref name="path"/>; null for the root (which never moves) or a path that is not there.</summary>
    public static string? IdentityOf(VaultState state, string path)
    {
        if (path == VaultPath.Root || state.Get(path) is not { } node)
        {
            return null;
        }
        var rank = VaultPath.Ancestors(path).Count(a => state.Get(a) is { } above && Same(above, node.Lineage, node.Type));
        return string.Create(CultureInfo.InvariantCulture, $"{node.Lineage}|{(int)node.Type}|{rank}");
    }

    /// <summary>
    /// Where a link's target is in an unlocked vault now (call it holding the vault's turn). A target found at a new
    /// path has that path recorded, sealed, as the link's last known one.
    /// </summary>
    public static LinkTarget Locate(Vault vault, NodeDatabase database, LinkRecord link)
    {
        if (vault.OpenNote(link.SealedPath) is not { } path)
        {
            return LinkTarget.Missing;
        }
        var identity = link.SealedTarget is null ? null : vault.OpenNote(link.SealedTarget);
        var target = Resolve(vault.State, path, identity);
        if (target.Path is { } now && now != path)
        {
            database.UpdateLinkPath(link.Id, vault.SealNote(now));
        }
        return target;
    }

    /// <summary>
    /// Where the link's target is now. Without an identity (the root, or a link made before identities were kept),
    /// the path is taken as it is.
    /// </summary>
    public static LinkTarget Resolve(VaultState state, string path, string? identity)
    {
        if (identity is null || !TryParse(identity, out var lineage, out var type, out var rank))
        {
            return new LinkTarget(path, false);
        }
        // The common case: nothing moved.
        if (state.Get(path) is { } there && Same(there, lineage, type) && IdentityOf(state, path) == identity)
        {
            return new LinkTarget(path, false);
        }
        var candidates = state.Nodes.Where(n => Same(n, lineage, type)).ToList();
        if (candidates.Count > 0)
        {
            var sameRank = candidates.Where(c => candidates.Count(o => o != c && VaultPath.IsAtOrBelow(c.Path, o.Path)) == rank).ToList();
            // Moved out from under a folder made with it, the rank changes; then the name decides, if it can.
            var pool = sameRank.Count > 0 ? sameRank : candidates;
            if (pool.Count == 1)
            {
                return new LinkTarget(pool[0].Path, false);
            }
            var named = pool.Where(c => c.Name == VaultPath.Name(path)).ToList();
            return named.Count == 1 ? new LinkTarget(named[0].Path, false) : LinkTarget.Missing;
        }
        if (state.Trash.Any(item => item.Nodes.Any(n => Same(n, lineage, type))))
        {
            return LinkTarget.InTrash;
        }
        // Gone for good (purged): whatever is at the last known path, as links did before they followed moves.
        return new LinkTarget(path, false);
    }

    private static bool Same(TreeNode node, OpRef lineage, NodeType type) => node.Type == type && node.Lineage == lineage;

    private static bool TryParse(string identity, out OpRef lineage, out NodeType type, out int rank)
    {
        var parts = identity.Split('|');
        lineage = default;
        type = default;
        rank = 0;
        if (parts.Length != 3 || !OpRef.TryParse(parts[0], out lineage) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var typeValue)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out rank))
        {
            return false;
        }
        type = (NodeType)typeValue;
        return true;
    }
}
