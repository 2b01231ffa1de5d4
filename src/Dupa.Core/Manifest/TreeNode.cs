using Dupa.Core.Storage;

namespace Dupa.Core.Manifest;

/// <summary>The content of a file version: its chunks inline, or a chunk-list blob holding them.</summary>
public sealed record FileContent(IReadOnlyList<ChunkRef> Chunks, ChunkId? List, int Count)
{
    public static readonly FileContent Empty = new([], null, 0);
}

/// <summary>One version of a file, symlink or directory. <see cref="Ref"/> names it for good.</summary>
public sealed record FileVersion(OpRef Ref, Hlc Time, NodeType Type, long Size, long MtimeNs, int Mode, string? Target, FileContent Content)
{
    /// <summary>The media type sniffed when the version was stored, if it was.</summary>
    public string? Mime { get; init; }
}

/// <summary>
/// A live path in the tree: a lineage of versions since the file was created at this path (a directory keeps
/// only its latest metadata).
/// </summary>
public sealed class TreeNode
{
    internal TreeNode(string path, OpRef lineage, FileVersion first)
    {
        Path = path;
        Lineage = lineage;
        Versions = [first];
    }

    public string Path
    {
        get;
        internal set
        {
            field = value;
            _lowerPath = null;
        }
    }

    /// <summary>The path in lower case (invariant culture), kept for search.</summary>
    internal string LowerPath => _lowerPath ??= Path.ToLowerInvariant();

    private string? _lowerPath;

    public OpRef Lineage { get; }

    public List<FileVersion> Versions { get; }

    /// <summary>The node's tags, sorted; they follow it through moves and the trash.</summary>
    public IReadOnlyCollection<string> Tags => (IReadOnlyCollection<string>?)_tags ?? [];

    /// <summary>Made at a node's first tag: most nodes have none, and an empty set cost 48 bytes a node.</summary>
    private SortedSet<string>? _tags;

    internal void AddTag(string tag) => (_tags ??= new SortedSet<string>(StringComparer.Ordinal)).Add(tag);

    internal void RemoveTag(string tag)
    {
        if (_tags?.Remove(tag) == true && _tags.Count == 0)
        {
            _tags = null;
        }
    }

    public FileVersion Current => Versions[^1];

    public NodeType Type => Current.Type;

    public string Name => Files.VaultPath.Name(Path);
}

/// <summary>What one <c>trash</c> took out of the tree: the path and everything that was below it.</summary>
public sealed record TrashItem(OpRef Id, string Path, Hlc DeletedAt, IReadOnlyList<TreeNode> Nodes)
{
    public TreeNode Root => Nodes[0];
}
