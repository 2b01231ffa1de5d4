using Dupa.Core.Index;
using Dupa.Testing;

namespace Dupa.Core.Tests.Index;

public sealed class SeenFilesTests : IDisposable
{
    private readonly TempDirectory _directory = new("dupa-index-test-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ReleaseMemory_EmptiesTheConnectionsPageCaches_AndTheIndexStillAnswers()
    {
        var random = new SeededRandom(77);
        var files = Enumerable.Range(0, 5000)
            .Select(i => (Key: random.NextBytes(32), File: new SeenFile(i, i * 1000L, (ulong)i + 7, $"v{i}")))
            .ToList();
        using var index = VaultIndex.Open(_directory.Path, readOnly: false);
        index.SetSeen(files);
        var keys = files.Select(f => f.Key).ToList();
        Assert.All(index.TryGetSeen(keys), (seen, i) => Assert.Equal(files[i].File, seen));
        var cached = index.CacheBytes();
        Assert.True(cached > 64 * 1024, $"{cached} bytes cached after writing and reading 5,000 rows");

        index.ReleaseMemory();

        Assert.True(index.CacheBytes() < cached / 4, $"{index.CacheBytes()} bytes still cached of {cached}");
        Assert.All(index.TryGetSeen(keys), (seen, i) => Assert.Equal(files[i].File, seen));
        index.SetSeen([(random.NextBytes(32), new SeenFile(1, 2, 3, "after"))]);
    }

    [Theory]
    [InlineData(3000, 1500)] // a quarter of the table or more: one pass over it
    [InlineData(3000, 1023)] // too few keys for a pass: looked up per key
    [InlineData(9000, 1500)] // too small a share of the table: looked up per key
    [InlineData(10, 5)]
    public void TryGetSeen_FindsWhatWasSet_InTheKeysOrder_WhicheverWayItLooks(int stored, int asked)
    {
        var random = new SeededRandom((ulong)(stored + asked));
        var files = Enumerable.Range(0, stored)
            .Select(i => (Key: random.NextBytes(32), File: new SeenFile(i, i * 1000L, (ulong)i + 7, $"v{i}")))
            .ToList();
        using var index = VaultIndex.Open(_directory.Path, readOnly: false);
        index.SetSeen(files);

        // Known keys in a shuffled order, a key asked twice, and keys never set.
        var known = Enumerable.Range(0, asked - 3).Select(_ => random.Next(0, stored)).ToList();
        var keys = known.Select(i => files[i].Key.ToArray()).ToList();
        keys.Add(files[known[0]].Key.ToArray());
        keys.Add(random.NextBytes(32));
        keys.Add(random.NextBytes(32));

        var found = index.TryGetSeen(keys);

        Assert.Equal(keys.Count, found.Length);
        for (var i = 0; i < known.Count; i++)
        {
            Assert.Equal(files[known[i]].File, found[i]);
        }
        Assert.Equal(files[known[0]].File, found[^3]);
        Assert.Null(found[^2]);
        Assert.Null(found[^1]);
    }
}
