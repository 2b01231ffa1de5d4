using Dupa.Core.Storage;
using Dupa.Core.Tests.Support;
using Dupa.Testing;

namespace Dupa.Core.Tests.Files;

public sealed class ChunkStoreLocateTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(1500)]
    public void Locate_KnownAndUnknownChunks_GivesWhatOneLookupEachGives(int count)
    {
        using var vault = new TestVault();
        // The test vault's chunks average 4 KiB: 8 MiB gives about 1,800, enough for the lookup of all rows at once.
        vault.WriteSource("big.bin", new SeededRandom(5).NextBytes(8 << 20));
        vault.Put(vault.Source);
        using var opened = vault.Open();
        var known = opened.Index.Chunks().Select(c => c.Id).Take(count).ToList();
        Assert.Equal(count, known.Count);
        var unknown = new ChunkId(1, 2, 3, 4);
        List<ChunkId> ids = [.. known.Take(count / 2), unknown, .. known.Skip(count / 2)];

        var found = opened.Chunks.Locate(ids);

        Assert.Equal(ids.Count, found.Length);
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == unknown)
            {
                Assert.Null(found[i]);
                continue;
            }
            Assert.True(opened.Index.TryGetChunk(ids[i], out var expected));
            Assert.Equal(expected, found[i]);
            using var chunk = opened.Chunks.Read(ids[i], found[i]!.Value, BlobKind.Data);
            Assert.Equal(ids[i], opened.Codec.ComputeId(chunk.Span));
        }
    }
}
