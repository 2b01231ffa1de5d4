using Dupa.Core.Crypto;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Testing;

namespace Dupa.Core.Tests.Manifest;

public sealed class VaultStateTests
{
    private static readonly DeviceId DeviceA = new(Enumerable.Repeat((byte)0xAA, 32).ToArray());
    private static readonly DeviceId DeviceB = new(Enumerable.Repeat((byte)0xBB, 32).ToArray());

    [Fact]
    public void Fold_RandomHistoriesInAnyArrivalOrder_GivesTheSameStateHash()
    {
        var random = new SeededRandom(4242);
        for (var trial = 0; trial < 50; trial++)
        {
            var entries = RandomHistory(random, 40);
            var expected = Convert.ToHexString(VaultState.Fold(entries).ComputeHash());
            for (var shuffle = 0; shuffle < 5; shuffle++)
            {
                var shuffled = entries.ToArray();
                for (var i = shuffled.Length - 1; i > 0; i--)
                {
                    var j = random.Next(0, i + 1);
                    (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
                }
                Assert.True(expected == Convert.ToHexString(VaultState.Fold(shuffled).ComputeHash()), $"seed {random.Seed}, trial {trial}");
            }
        }
    }

    [Fact]
    public void Fold_RandomHistories_KeepEveryNodeInADirectory_AndSubtreeListsThemParentsFirst()
    {
        // The fold skips the walk up a path's ancestors when its parent is a directory: that holds only if no node
        // is ever left below a file or a missing directory, after any entry, whatever the order of puts, moves,
        // trashes and restores.
        var random = new SeededRandom(777);
        for (var trial = 0; trial < 200; trial++)
        {
            var state = new VaultState();
            foreach (var entry in RandomHistory(random, 40).Order(VaultState.FoldOrder.Instance))
            {
                state.Apply(entry);
                foreach (var node in state.Nodes)
                {
                    var parent = VaultPath.Parent(node.Path);
                    Assert.True(parent == VaultPath.Root || state.Get(parent)?.Type == NodeType.Directory, $"seed {random.Seed}, trial {trial}: {node.Path}");
                }
            }
            Assert.Equal(Walk(state, VaultPath.Root), state.Subtree(VaultPath.Root).Select(n => n.Path));
            Assert.Equal(state.Get("/a") is null ? [] : ["/a", .. Walk(state, "/a")], state.Subtree("/a").Select(n => n.Path));
        }

        // Every path below a directory, reached through Children, in ordinal order.
        static List<string> Walk(VaultState state, string directory) =>
            [.. state.Children(directory).SelectMany(child => new[] { child.Path }.Concat(Walk(state, child.Path))).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void Fold_PutUnderAFile_MovesTheFileToTheTrash()
    {
        var state = VaultState.Fold([
            Entry(DeviceA, 1, 10, new PutOp("/a", NodeType.File, 1, 0, 0x1A4)),
            Entry(DeviceA, 2, 20, new PutOp("/a/b", NodeType.File, 1, 0, 0x1A4)),
        ]);
        Assert.Equal(NodeType.Directory, state.Get("/a")!.Type);
        Assert.Equal("/a", Assert.Single(state.Trash).Path);
    }

    [Fact]
    public void Fold_InvalidPath_IsSkippedAndReported()
    {
        var state = VaultState.Fold([Entry(DeviceA, 1, 10, new PutOp("/a/../etc", NodeType.File, 1, 0, 0x1A4))]);
        Assert.Empty(state.Nodes);
        Assert.Single(state.Problems);
    }

    [Fact]
    public void ConcurrentEdits_OfOneFile_KeepBoth_TheLaterAsAConflictCopy_InAnyArrivalOrder()
    {
        var v1 = new OpRef(DeviceA, 1, 0).ToString();
        List<FoldEntry> entries =
        [
            Entry(DeviceA, 1, 10, new PutOp("/doc.txt", NodeType.File, 1, 0, 0x1A4)),
            // B saw v1 and changed it; A, not having seen B's change, changed v1 too.
            Entry(DeviceB, 1, 20, new PutOp("/doc.txt", NodeType.File, 2, 0, 0x1A4) { Base = v1 }),
            Entry(DeviceA, 2, 30, new PutOp("/doc.txt", NodeType.File, 3, 0, 0x1A4) { Base = v1 }),
        ];
        foreach (var order in new[] { entries, [.. Enumerable.Reverse(entries)], [entries[1], entries[2], entries[0]] })
        {
            var state = VaultState.Fold(order);
            Assert.Equal(2, state.Get("/doc.txt")!.Current.Size);
            var copy = Assert.Single(state.Nodes, n => n.Path.StartsWith("/doc (conflict 1970-01-01 aaaaaaaa)", StringComparison.Ordinal));
            Assert.Equal("/doc (conflict 1970-01-01 aaaaaaaa).txt", copy.Path);
            Assert.Equal(3, copy.Current.Size);
            Assert.Empty(state.Problems);
        }
    }

    [Fact]
    public void DeleteAgainstAConcurrentEdit_KeepsTheEdit_WhicheverCameFirst()
    {
        var v1 = new OpRef(DeviceA, 1, 0).ToString();
        var put = Entry(DeviceA, 1, 10, new PutOp("/doc.txt", NodeType.File, 1, 0, 0x1A4));
        // The delete is folded after the edit: it yields.
        var after = VaultState.Fold([put, Entry(DeviceB, 1, 20, new PutOp("/doc.txt", NodeType.File, 2, 0, 0x1A4) { Base = v1 }), Entry(DeviceA, 2, 30, new TrashOp("/doc.txt") { Base = v1 })]);
        Assert.Equal(2, after.Get("/doc.txt")!.Current.Size);
        Assert.Empty(after.Trash);
        // The delete is folded first: the edit still lands, as the file again.
        var before = VaultState.Fold([put, Entry(DeviceA, 2, 20, new TrashOp("/doc.txt") { Base = v1 }), Entry(DeviceB, 1, 30, new PutOp("/doc.txt", NodeType.File, 2, 0, 0x1A4) { Base = v1 })]);
        Assert.Equal(2, before.Get("/doc.txt")!.Current.Size);
        // A delete that saw the latest version is an ordinary delete.
        var plain = VaultState.Fold([put, Entry(DeviceA, 2, 20, new TrashOp("/doc.txt") { Base = v1 })]);
        Assert.Null(plain.Get("/doc.txt"));
    }

    private static FoldEntry Entry(DeviceId device, long sequence, long wall, params Operation[] ops) => new(device, sequence, new Hlc(wall, 0), ops);

    private static List<FoldEntry> RandomHistory(SeededRandom random, int count)
    {
        string[] paths = ["/a", "/a/x", "/a/y", "/a/x/q", "/a/y/r/s", "/b", "/b/z", "/c"];
        var entries = new List<FoldEntry>();
        var sequences = new Dictionary<DeviceId, long> { [DeviceA] = 0, [DeviceB] = 0 };
        var trashIds = new List<OpRef>();
        var putIds = new List<OpRef>();
        string? SomeBase() => putIds.Count > 0 && random.Next(0, 2) == 0 ? putIds[random.Next(0, putIds.Count)].ToString() : null;
        for (var i = 0; i < count; i++)
        {
            var device = random.Next(0, 2) == 0 ? DeviceA : DeviceB;
            var sequence = ++sequences[device];
            // Clocks collide on purpose: ties are broken by device and sequence.
            var clock = new Hlc(random.Next(0, count / 2), 0);
            Operation op = random.Next(0, 7) switch
            {
                // Moves and renames, of files and folders, so that edits and deletes that follow a move occur too.
                6 => new MoveOp(paths[random.Next(0, paths.Length)], paths[random.Next(0, paths.Length)]),
                // Bases are random, current or stale, so concurrent edits and delete-against-edit both occur.
                0 or 1 => new PutOp(paths[random.Next(0, paths.Length)], NodeType.File, random.Next(0, 100), 0, 0x1A4) { Base = SomeBase() },
                2 => new PutOp(paths[random.Next(0, paths.Length)], NodeType.Directory, 0, 0, 0x1ED),
                3 => new TrashOp(paths[random.Next(0, paths.Length)]) { Base = SomeBase() },
                4 when trashIds.Count > 0 => new RestoreOp(trashIds[random.Next(0, trashIds.Count)].ToString(), paths[random.Next(0, paths.Length)]),
                _ when trashIds.Count > 0 => new PurgeOp(trashIds[random.Next(0, trashIds.Count)].ToString()),
                _ => new TrashOp("/c"),
            };
            if (op is TrashOp)
            {
                trashIds.Add(new OpRef(device, sequence, 0));
            }
            if (op is PutOp { Type: NodeType.File })
            {
                putIds.Add(new OpRef(device, sequence, 0));
            }
            entries.Add(new FoldEntry(device, sequence, clock, [op]));
        }
        return entries;
    }
}
