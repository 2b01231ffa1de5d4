using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Retention;

namespace Dupa.Core.Manifest;

/// <summary>An entry's header fields the fold needs, with its decoded operations.</summary>
public sealed record FoldEntry(Crypto.DeviceId Device, long Sequence, Hlc Clock, IReadOnlyList<Operation> Ops);

/// <summary>
/// The vault's state: a deterministic fold of all devices' logs (docs/format.md, The state). Entries are applied
/// in (clock, device, sequence) order, so the result never depends on the order in which they arrived. The fold
/// is total: an operation that does not fit (a path that does not parse, a restore of an unknown item) is skipped
/// and reported in <see cref="Problems"/>, never thrown, so every device computes the same state.
/// </summary>
public sealed class VaultState
{
    private readonly Dictionary<string, TreeNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _children = new(StringComparer.Ordinal) { [VaultPath.Root] = [] };
    private readonly Dictionary<OpRef, TrashItem> _trash = [];
    private readonly Dictionary<OpRef, TreeNode> _versionOwners = [];
    private readonly Dictionary<string, long> _locks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _devices = new(StringComparer.Ordinal);
    private readonly List<(FoldEntry Entry, CheckpointOp Checkpoint)> _checkpoints = [];
    private readonly List<string> _problems = [];
    private TreeNode[]? _nodeArray;

    public int EntryCount { get; private set; }

    public Hlc LastClock { get; private set; }

    public IReadOnlyCollection<TreeNode> Nodes => _nodes.Values;

    /// <summary>The live nodes as an array, rebuilt after a change: what search scans.</summary>
    internal TreeNode[] NodeArray => _nodeArray ??= [.. _nodes.Values];

    public IReadOnlyCollection<TrashItem> Trash => _trash.Values;

    public IReadOnlyCollection<string> Devices => _devices;

    public IReadOnlyList<(FoldEntry Entry, CheckpointOp Checkpoint)> Checkpoints => _checkpoints;

    public IReadOnlyList<string> Problems => _problems;

    /// <summary>The retention policy set by the latest <c>policy</c> operation.</summary>
    public RetentionPolicy Policy { get; private set; } = RetentionPolicy.Default;

    /// <summary>Write-once locks: path prefix → Unix milliseconds until which it is protected.</summary>
    public IReadOnlyDictionary<string, long> Locks => _locks;

    /// <summary>Every file and symlink version the vault still keeps, live or in the trash.</summary>
    public IReadOnlyCollection<OpRef> VersionRefs => _versionOwners.Keys;

    /// <summary>Sorts entries into fold order and applies those at or before <paramref name="until"/>.</summary>
    public static VaultState Fold(IEnumerable<FoldEntry> entries, DateTimeOffset? until = null)
    {
        var state = new VaultState();
        var limit = until?.ToUnixTimeMilliseconds() ?? long.MaxValue;
        foreach (var entry in entries.Where(e => e.Clock.WallMs <= limit).OrderBy(e => e, FoldOrder.Instance))
        {
            state.Apply(entry);
        }
        return state;
    }

    public TreeNode? Get(string path) => _nodes.GetValueOrDefault(path);

    public bool IsDirectory(string path) => path == VaultPath.Root || _nodes.GetValueOrDefault(path)?.Type == NodeType.Directory;

    /// <summary>The direct children of a directory, sorted by name (ordinal).</summary>
    public IReadOnlyList<TreeNode> Children(string directory) =>
        _children.TryGetValue(directory, out var names)
            ? names.Order(StringComparer.Ordinal).Select(n => _nodes[VaultPath.Combine(directory, n)]).ToList()
            : [];

    /// <summary>The node at <paramref name="path"/> and everything below it, parents before children.</summary>
    /// <remarks>Sorted once at the end: sorting each directory's children as well took about 20 ms of a full restore's 0.4 s start.</remarks>
    public IReadOnlyList<TreeNode> Subtree(string path)
    {
        List<TreeNode> result;
        if (path == VaultPath.Root)
        {
            // Every node is below the root.
            result = [.. _nodes.Values];
        }
        else
        {
            result = [];
            if (!_nodes.TryGetValue(path, out var node))
            {
                return result;
            }
            result.Add(node);
            var stack = new Stack<string>();
            stack.Push(path);
            while (stack.Count > 0)
            {
                var directory = stack.Pop();
                foreach (var name in _children.GetValueOrDefault(directory) ?? [])
                {
                    var child = _nodes[VaultPath.Combine(directory, name)];
                    result.Add(child);
                    if (child.Type == NodeType.Directory)
                    {
                        stack.Push(child.Path);
                    }
                }
            }
        }
        // Parents before children, in path order, for callers that restore trees.
        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return result;
    }

    public TrashItem? GetTrashItem(OpRef id) => _trash.GetValueOrDefault(id);

    public void Apply(FoldEntry entry)
    {
        EntryCount++;
        if (entry.Clock > LastClock)
        {
            LastClock = entry.Clock;
        }
        // A payload decoded from JSON may carry a null list despite the type.
        IReadOnlyList<Operation?> ops = entry.Ops ?? [];
        for (var i = 0; i < ops.Count; i++)
        {
            var opRef = new OpRef(entry.Device, entry.Sequence, i);
            try
            {
                switch (ops[i])
                {
                    case PutOp put:
                        ApplyPut(put, opRef, entry.Clock);
                        break;
                    case TrashOp trash:
                        var trashed = Followed(VaultPath.Parse(trash.Path), trash.Base);
                        CheckNotLocked(trashed, entry.Clock.WallMs, "moved to the trash", subtree: true);
                        // Delete against a concurrent edit keeps the edit: the deleting device never saw it.
                        if (trash.Base is null || _nodes.GetValueOrDefault(trashed) is not { Type: not NodeType.Directory } edited || edited.Current.Ref.ToString() == trash.Base)
                        {
                            ApplyTrash(trashed, opRef, entry.Clock);
                        }
                        break;
                    case RestoreOp restore:
                        ApplyRestore(restore, opRef, entry.Clock);
                        break;
                    case MoveOp move:
                        ApplyMove(VaultPath.Parse(move.From), VaultPath.Parse(move.To), opRef, entry.Clock);
                        break;
                    case PurgeOp purge:
                        ApplyPurge(purge, opRef, entry.Clock);
                        break;
                    case ForgetOp forget:
                        ApplyForget(forget, opRef, entry.Clock);
                        break;
                    case TagOp tag:
                        ApplyTag(tag);
                        break;
                    case PolicyOp policy:
                        Policy = policy.Policy.Validated();
                        break;
                    case LockOp lockOp:
                        ApplyLock(lockOp);
                        break;
                    case DeviceOp device:
                        _devices.Add(device.Device);
                        break;
                    case CheckpointOp checkpoint:
                        _checkpoints.Add((entry, checkpoint));
                        break;
                }
            }
            catch (Exception e) when (e is DupaException or ArgumentException or FormatException or NullReferenceException or InvalidOperationException)
            {
                // A signed entry from a buggy or hostile device: skip the operation, the same way on every device.
                _problems.Add($"{opRef.Short}: {e.Message}");
            }
        }
    }

    private void ApplyPut(PutOp put, OpRef opRef, Hlc clock)
    {
        var path = VaultPath.Parse(put.Path);
        if (path == VaultPath.Root)
        {
            return;
        }
        var content = put.List is { } list
            ? new FileContent([], list, put.Count ?? 0)
            : new FileContent(put.Chunks ?? [], null, put.Chunks?.Count ?? 0);
        var version = new FileVersion(opRef, clock, put.Type, put.Size, put.Mtime, put.Mode, put.Target, content) { Mime = put.Mime };
        if (put.Type != NodeType.Directory)
        {
            path = Followed(path, put.Base);
        }
        CheckPut(path, put.Type, clock.WallMs);
        var existing = _nodes.GetValueOrDefault(path);
        if (existing is not null && existing.Type == put.Type && put.Type != NodeType.Directory && put.Base is not null && existing.Current.Ref.ToString() != put.Base)
        {
            // Two devices changed the same file without seeing each other's change: the one folded first keeps the
            // name, this one becomes a visible conflict copy beside it. Every device folds in the same order.
            path = FreeName(ConflictName(path, clock, opRef.Device));
            existing = null;
        }
        EnsureParents(path, opRef, clock);
        if (existing is not null)
        {
            if (existing.Type == put.Type)
            {
                if (put.Type == NodeType.Directory)
                {
                    existing.Versions[0] = version;
                }
                else
                {
                    existing.Versions.Add(version);
                    _versionOwners[opRef] = existing;
                }
                return;
            }
            // A different kind of node in the way goes to the trash: nothing is lost silently.
            ApplyTrash(path, opRef, clock);
        }
        var node = new TreeNode(path, opRef, version);
        AddNode(node);
        if (put.Type != NodeType.Directory)
        {
            _versionOwners[opRef] = node;
        }
    }

    /// <summary>
    /// Where a change to a file made against version <paramref name="baseRef"/> applies: the path the device saw,
    /// unless another device moved or renamed that file meanwhile (the version's node is live at another path),
    /// in which case the change follows the file. So an edit and a rename made apart both survive.
    /// </summary>
    private string Followed(string path, string? baseRef)
    {
        return baseRef is not null && OpRef.TryParse(baseRef, out var seen) && _versionOwners.TryGetValue(seen, out var node)
            && ReferenceEquals(_nodes.GetValueOrDefault(node.Path), node)
            ? node.Path
            : path;
    }

    private void ApplyPurge(PurgeOp purge, OpRef opRef, Hlc clock)
    {
        if (!OpRef.TryParse(purge.Item, out var id) || !_trash.TryGetValue(id, out var item))
        {
            _problems.Add($"{opRef.Short}: purge of an unknown trash item");
            return;
        }
        CheckNotLocked(item.Path, clock.WallMs, "purged", subtree: true);
        _trash.Remove(id);
        foreach (var version in item.Nodes.SelectMany(n => n.Versions))
        {
            _versionOwners.Remove(version.Ref);
        }
    }

    private void ApplyForget(ForgetOp forget, OpRef opRef, Hlc clock)
    {
        foreach (var text in forget.Versions ?? [])
        {
            if (!OpRef.TryParse(text, out var id) || !_versionOwners.TryGetValue(id, out var node))
            {
                _problems.Add($"{opRef.Short}: forget of an unknown version");
                continue;
            }
            if (node.Current.Ref == id)
            {
                _problems.Add($"{opRef.Short}: the current version of '{node.Path}' cannot be forgotten");
                continue;
            }
            if (LockedUntil(node.Path, clock.WallMs) is var until and > 0)
            {
                _problems.Add($"{opRef.Short}: {WriteOnceError(node.Path, until, "forgotten").Message}");
                continue;
            }
            node.Versions.RemoveAll(v => v.Ref == id);
            _versionOwners.Remove(id);
        }
    }

    private void ApplyTag(TagOp tag)
    {
        var path = VaultPath.Parse(tag.Path);
        var node = _nodes.GetValueOrDefault(path) ?? throw new DupaException(ErrorCode.NotFound, $"tags for '{path}', which is not in the tree");
        foreach (var name in tag.Remove ?? [])
        {
            node.RemoveTag(TagName.Normalize(name));
        }
        foreach (var name in tag.Add ?? [])
        {
            node.AddTag(TagName.Normalize(name));
        }
    }

    private void ApplyLock(LockOp op)
    {
        var prefix = VaultPath.Parse(op.Prefix);
        if (op.Until <= 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a lock needs a date");
        }
        // Locks only grow: a later lock on the same prefix can extend it, never shorten it.
        _locks[prefix] = Math.Max(_locks.GetValueOrDefault(prefix), op.Until);
    }

    /// <summary>
    /// Until when (Unix ms) a write-once lock protects <paramref name="path"/> at the moment <paramref name="atMs"/>;
    /// 0 if none does. With <paramref name="subtree"/>, a lock on anything below the path counts too.
    /// </summary>
    public long LockedUntil(string path, long atMs, bool subtree = false)
    {
        long until = 0;
        foreach (var (prefix, lockedUntil) in _locks)
        {
            if (lockedUntil > atMs && lockedUntil > until && (VaultPath.IsAtOrBelow(path, prefix) || (subtree && VaultPath.IsAtOrBelow(prefix, path))))
            {
                until = lockedUntil;
            }
        }
        return until;
    }

    public static DupaException WriteOnceError(string path, long until, string what) =>
        new(ErrorCode.WriteOnce, $"'{path}' cannot be {what}: a write-once lock protects it until {Forgetter.FormatTime(until)}");

    /// <summary>Throws <see cref="ErrorCode.WriteOnce"/> if a lock protects the path (or, with <paramref name="subtree"/>, anything below it).</summary>
    public void CheckNotLocked(string path, long atMs, string what, bool subtree = false)
    {
        if (LockedUntil(path, atMs, subtree) is var until and > 0)
        {
            throw WriteOnceError(path, until, what);
        }
    }

    /// <summary>Throws <see cref="ErrorCode.WriteOnce"/> if putting a node of <paramref name="type"/> at the path would overwrite or replace locked data.</summary>
    public void CheckPut(string path, NodeType type, long atMs)
    {
        if (_nodes.GetValueOrDefault(path) is { } existing && !(existing.Type == NodeType.Directory && type == NodeType.Directory))
        {
            CheckNotLocked(path, atMs, "overwritten", subtree: true);
        }
        CheckParents(path, atMs);
    }

    /// <summary>A parent that is a file would go to the trash to make way for a directory.</summary>
    public void CheckParents(string path, long atMs)
    {
        if (ParentIsDirectory(path))
        {
            return;
        }
        foreach (var ancestor in VaultPath.Ancestors(path))
        {
            if (_nodes.TryGetValue(ancestor, out var node) && node.Type != NodeType.Directory)
            {
                CheckNotLocked(ancestor, atMs, "replaced by a directory");
            }
        }
    }

    /// <summary>
    /// Drops every file version <paramref name="kept"/> does not hold, and every file whose latest version here is
    /// one of them: what a past state shows once later forgets and purges have dropped data.
    /// </summary>
    public void KeepOnly(IReadOnlySet<OpRef> kept)
    {
        foreach (var node in _nodes.Values.Where(n => n.Type != NodeType.Directory).ToList())
        {
            if (!kept.Contains(node.Current.Ref))
            {
                RemoveNode(node.Path);
                node.Versions.ForEach(v => _versionOwners.Remove(v.Ref));
            }
            else
            {
                DropVersions(node, kept);
            }
        }
        foreach (var item in _trash.Values.ToList())
        {
            var nodes = item.Nodes.Where(n => n.Type == NodeType.Directory || kept.Contains(n.Current.Ref)).ToList();
            foreach (var node in item.Nodes.Except(nodes))
            {
                node.Versions.ForEach(v => _versionOwners.Remove(v.Ref));
            }
            nodes.ForEach(n => DropVersions(n, kept));
            if (nodes.Count == 0 || nodes[0] != item.Root)
            {
                _trash.Remove(item.Id);
            }
            else
            {
                _trash[item.Id] = item with { Nodes = nodes };
            }
        }
    }

    private void DropVersions(TreeNode node, IReadOnlySet<OpRef> kept)
    {
        foreach (var version in node.Versions.Where(v => !kept.Contains(v.Ref)).ToList())
        {
            node.Versions.Remove(version);
            _versionOwners.Remove(version.Ref);
        }
    }

    private void EnsureParents(string path, OpRef opRef, Hlc clock)
    {
        if (ParentIsDirectory(path))
        {
            return;
        }
        foreach (var ancestor in VaultPath.Ancestors(path))
        {
            if (_nodes.TryGetValue(ancestor, out var node))
            {
                if (node.Type == NodeType.Directory)
                {
                    continue;
                }
                ApplyTrash(ancestor, opRef, clock);
            }
            AddNode(new TreeNode(ancestor, opRef, new FileVersion(opRef, clock, NodeType.Directory, 0, clock.WallMs * 1_000_000, 0x1ED /* 0755 */, null, FileContent.Empty)));
        }
    }

    /// <summary>
    /// Whether the path's parent is a directory here, which makes every ancestor one: a node is only added below a
    /// directory, and a node that stops being one takes its subtree with it. Put's common case, so the fold of a put
    /// of 20,000 files walks each one's ancestors only when one is missing (that walk and its substrings were nearly
    /// half of the fold's time in a restore's start).
    /// </summary>
    private bool ParentIsDirectory(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 || (_nodes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(path.AsSpan(0, slash), out var parent) && parent.Type == NodeType.Directory);
    }

    private void ApplyTrash(string path, OpRef opRef, Hlc clock)
    {
        if (path == VaultPath.Root || !_nodes.ContainsKey(path))
        {
            return;
        }
        var nodes = Subtree(path);
        foreach (var node in nodes)
        {
            RemoveNode(node.Path);
        }
        _trash[opRef] = new TrashItem(opRef, path, clock, nodes);
    }

    private void ApplyRestore(RestoreOp restore, OpRef opRef, Hlc clock)
    {
        if (!OpRef.TryParse(restore.Item, out var id) || !_trash.TryGetValue(id, out var item))
        {
            _problems.Add($"{opRef.Short}: restore of an unknown trash item");
            return;
        }
        var target = VaultPath.Parse(restore.Path);
        if (target == VaultPath.Root)
        {
            _problems.Add($"{opRef.Short}: cannot restore over the root");
            return;
        }
        CheckParents(target, clock.WallMs);
        _trash.Remove(id);
        EnsureParents(target, opRef, clock);
        target = FreeName(target);
        foreach (var node in item.Nodes)
        {
            node.Path = target + node.Path[item.Path.Length..];
            AddNode(node);
        }
    }

    private void ApplyMove(string from, string to, OpRef opRef, Hlc clock)
    {
        if (from == VaultPath.Root || to == VaultPath.Root || VaultPath.IsAtOrBelow(to, from) || !_nodes.ContainsKey(from))
        {
            _problems.Add($"{opRef.Short}: cannot move '{from}' to '{to}'");
            return;
        }
        CheckNotLocked(from, clock.WallMs, "moved", subtree: true);
        CheckParents(to, clock.WallMs);
        var nodes = Subtree(from);
        foreach (var node in nodes)
        {
            RemoveNode(node.Path);
        }
        EnsureParents(to, opRef, clock);
        to = FreeName(to);
        foreach (var node in nodes)
        {
            node.Path = to + node.Path[from.Length..];
            AddNode(node);
        }
    }

    /// <summary>"name (conflict 2026-11-22 1a2b3c4d).ext": the date of the change and the device that made it.</summary>
    private static string ConflictName(string path, Hlc clock, Crypto.DeviceId device)
    {
        var name = VaultPath.Name(path);
        var dot = name.LastIndexOf('.');
        var (stem, extension) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        var date = DateTimeOffset.FromUnixTimeMilliseconds(clock.WallMs).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return VaultPath.Combine(VaultPath.Parent(path), $"{stem} (conflict {date} {device.Hex[..8]}){extension}");
    }

    /// <summary>The path itself if free, else "name (restored N).ext" for the smallest free N.</summary>
    private string FreeName(string path)
    {
        if (!_nodes.ContainsKey(path))
        {
            return path;
        }
        var parent = VaultPath.Parent(path);
        var name = VaultPath.Name(path);
        var dot = name.LastIndexOf('.');
        var (stem, extension) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        for (var n = 1; ; n++)
        {
            var candidate = VaultPath.Combine(parent, $"{stem} (restored {n}){extension}");
            if (!_nodes.ContainsKey(candidate))
            {
                return candidate;
            }
        }
    }

    private void AddNode(TreeNode node)
    {
        _nodeArray = null;
        _nodes[node.Path] = node;
        var parent = VaultPath.Parent(node.Path);
        if (!_children.TryGetValue(parent, out var siblings))
        {
            _children[parent] = siblings = new HashSet<string>(StringComparer.Ordinal);
        }
        siblings.Add(node.Name);
        if (node.Type == NodeType.Directory && !_children.ContainsKey(node.Path))
        {
            _children[node.Path] = new HashSet<string>(StringComparer.Ordinal);
        }
    }

    private void RemoveNode(string path)
    {
        _nodeArray = null;
        _nodes.Remove(path);
        _children.Remove(path);
        if (_children.TryGetValue(VaultPath.Parent(path), out var siblings))
        {
            siblings.Remove(VaultPath.Name(path));
        }
    }

    /// <summary>SHA-256 over the live nodes and trash items in a canonical order (docs/format.md, state hash).</summary>
    public byte[] ComputeHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (pathBytes, node) in _nodes.Values.Select(n => (Encoding.UTF8.GetBytes(n.Path), n)).OrderBy(p => p.Item1, ByteOrder.Instance))
        {
            hash.AppendData(pathBytes);
            hash.AppendData([0, (byte)node.Type]);
            hash.AppendData(Encoding.ASCII.GetBytes(node.Current.Ref.ToString()));
            hash.AppendData([0]);
        }
        foreach (var id in _trash.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.ASCII.GetBytes(id));
            hash.AppendData([0]);
        }
        return hash.GetHashAndReset();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>(clock, device ID bytes, sequence): the one order in which every device folds entries.</summary>
    public sealed class FoldOrder : IComparer<FoldEntry>
    {
        public static readonly FoldOrder Instance = new();

        public int Compare(FoldEntry? x, FoldEntry? y) => Compare(x!.Clock, x.Device, x.Sequence, y!.Clock, y.Device, y.Sequence);

        /// <summary>The same order for entries not decoded yet.</summary>
        public static int Compare(Hlc xClock, Crypto.DeviceId xDevice, long xSequence, Hlc yClock, Crypto.DeviceId yDevice, long ySequence)
        {
            var c = xClock.CompareTo(yClock);
            if (c == 0) c = xDevice.CompareTo(yDevice);
            if (c == 0) c = xSequence.CompareTo(ySequence);
            return c;
        }
    }
}
