using Dupa.Core.Crypto;
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

    private static FoldEntry Entry(DeviceId device, long sequence, long wall, params Operation[] ops) => new(device, sequence, new Hlc(wall, 0), ops);

    private static List<FoldEntry> RandomHistory(SeededRandom random, int count)
    {
        string[] paths = ["/a", "/a/x", "/a/y", "/b", "/b/z", "/c"];
        var entries = new List<FoldEntry>();
        var sequences = new Dictionary<DeviceId, long> { [DeviceA] = 0, [DeviceB] = 0 };
        var trashIds = new List<OpRef>();
        for (var i = 0; i < count; i++)
        {
            var device = random.Next(0, 2) == 0 ? DeviceA : DeviceB;
            var sequence = ++sequences[device];
            // Clocks collide on purpose: ties are broken by device and sequence.
            var clock = new Hlc(random.Next(0, count / 2), 0);
            Operation op = random.Next(0, 6) switch
            {
                0 or 1 => new PutOp(paths[random.Next(0, paths.Length)], NodeType.File, random.Next(0, 100), 0, 0x1A4),
                2 => new PutOp(paths[random.Next(0, paths.Length)], NodeType.Directory, 0, 0, 0x1ED),
                3 => new TrashOp(paths[random.Next(0, paths.Length)]),
                4 when trashIds.Count > 0 => new RestoreOp(trashIds[random.Next(0, trashIds.Count)].ToString(), paths[random.Next(0, paths.Length)]),
                _ when trashIds.Count > 0 => new PurgeOp(trashIds[random.Next(0, trashIds.Count)].ToString()),
                _ => new TrashOp("/c"),
            };
            if (op is TrashOp)
            {
                trashIds.Add(new OpRef(device, sequence, 0));
            }
            entries.Add(new FoldEntry(device, sequence, clock, [op]));
        }
        return entries;
    }
}
