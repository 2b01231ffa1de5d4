using Dupa.Core.Index;
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

    [Fact]
    public void Prefetcher_OverMorePacksThanTheStoreKeepsOpen_HoldsNoMoreThanItDoes()
    {
        using var directory = new TempDirectory();
        var random = new SeededRandom(32);
        using var prefetch = new ChunkPrefetch(directory.Path);
        for (var i = 0; i < 3 * ChunkStore.MaxOpenPacks; i++)
        {
            var hash = Convert.ToHexStringLower(random.NextBytes(32));
            var path = Path.Combine(directory.Path, PackFormat.RelativePath(hash));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, random.NextBytes(4096));

            prefetch.Chunk(new ChunkLocation(hash, 0, 4096, BlobKind.Data));

            Assert.InRange(prefetch.OpenPacks, 1, ChunkStore.MaxOpenPacks);
        }
        // A pack that is not there is left to the read to report.
        prefetch.Chunk(new ChunkLocation(new string('a', 64), 0, 10, BlobKind.Data));
    }
}
