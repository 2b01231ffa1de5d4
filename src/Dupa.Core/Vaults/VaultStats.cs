using Dupa.Core.Manifest;
using Dupa.Core.Storage;

namespace Dupa.Core.Vaults;

/// <summary>
/// What a vault holds and what it costs. Logical bytes count every kept version (live and in the trash);
/// unique bytes count each distinct chunk once; stored bytes are the pack files on disk.
/// </summary>
public sealed record VaultStats(
    int Files, int Directories, int Symlinks, int Versions, int TrashItems,
    long CurrentBytes, long LogicalBytes, long UniqueBytes, long StoredBytes,
    int Chunks, int Packs)
{
    /// <summary>Logical bytes per unique byte: how much deduplication saves (2.0 = half).</summary>
    public double DedupRatio => UniqueBytes == 0 ? 1 : (double)LogicalBytes / UniqueBytes;

    /// <summary>Unique plaintext bytes per stored byte: what compression saves, net of encryption overhead.</summary>
    public double CompressionRatio => StoredBytes == 0 ? 1 : (double)UniqueBytes / StoredBytes;

    public static VaultStats Compute(Vault vault)
    {
        var state = vault.State;
        var live = state.Nodes;
        var all = live.Concat(state.Trash.SelectMany(t => t.Nodes)).ToList();
        var fileVersions = all.Where(n => n.Type == NodeType.File).SelectMany(n => n.Versions).ToList();
        var unique = new Dictionary<ChunkId, int>();
        foreach (var version in fileVersions)
        {
            foreach (var chunk in vault.ResolveChunks(version.Content))
            {
                unique[chunk.Id] = chunk.Len;
            }
        }
        var packs = vault.Index.Packs();
        return new VaultStats(
            Files: live.Count(n => n.Type == NodeType.File),
            Directories: live.Count(n => n.Type == NodeType.Directory),
            Symlinks: live.Count(n => n.Type == NodeType.Symlink),
            Versions: fileVersions.Count,
            TrashItems: state.Trash.Count,
            CurrentBytes: live.Where(n => n.Type == NodeType.File).Sum(n => n.Current.Size),
            LogicalBytes: fileVersions.Sum(v => v.Size),
            UniqueBytes: unique.Values.Sum(v => (long)v),
            StoredBytes: packs.Sum(p => p.Size),
            Chunks: unique.Count,
            Packs: packs.Count);
    }
}
