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
        var known = opened.Index.Chunks().Where(c => c.Location.Kind == BlobKind.Data).Select(c => c.Id).Take(count).ToList();
        Assert.Equal(count, known.Count);
        var unknown = new ChunkId(1, 2, 3, 4);
        // An unknown chunk among the known ones, and a chunk asked twice (a file repeating a block), found at both places.
        List<ChunkId> ids = [.. known.Take(count / 2), unknown, .. known.Skip(count / 2), known[0]];

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
    public void Locate_AChunkRowWhosePackHasNoRow_IsNotFound_InOnePassAsInALookupEach()
    {
        using var vault = new TestVault();
        vault.WriteSource("big.bin", new SeededRandom(6).NextBytes(8 << 20));
        vault.Put(vault.Source);
        // A damaged index: the pack table loses a row and keeps its chunks' rows (the index's own writes cannot do
        // that, its foreign key refuses it). The one pass (1,024 keys or more) must leave those chunks out as the
        // single lookup's join does, never name a pack that is not indexed.
        var ids = new List<ChunkId>();
        long orphanedPack;
        using (var connection = vault.OpenIndex())
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id FROM chunks";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    ids.Add(ChunkId.Read((byte[])reader.GetValue(0)));
                }
            }
            command.CommandText = "SELECT MIN(pack) FROM chunks";
            orphanedPack = (long)command.ExecuteScalar()!;
            command.CommandText = $"PRAGMA foreign_keys = OFF; DELETE FROM packs WHERE id = {orphanedPack}";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        Assert.InRange(ids.Count, 1024, int.MaxValue);
        using var opened = vault.Open();

        var found = opened.Chunks.Locate(ids);

        var missing = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            var single = opened.Index.TryGetChunk(ids[i], out var location) ? location : (ChunkLocation?)null;
            Assert.Equal(single, found[i]);
            missing += found[i] is null ? 1 : 0;
        }
        Assert.InRange(missing, 1, ids.Count - 1);
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
    [Fact]
    public void Prefetcher_ChunksThatFollowOneAnother_AreAskedForInOneRange()
    {
        using var directory = new TempDirectory();
        var random = new SeededRandom(33);
        var packs = Enumerable.Range(0, 2).Select(_ => Convert.ToHexStringLower(random.NextBytes(32))).ToArray();
        foreach (var pack in packs)
        {
            var path = Path.Combine(directory.Path, PackFormat.RelativePath(pack));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, random.NextBytes(4 << 20));
        }
        using var prefetch = new ChunkPrefetch(directory.Path);

        // Ten chunks end to end, then one after a small gap: one range.
        for (var i = 0; i < 10; i++)
        {
            prefetch.Chunk(new ChunkLocation(packs[0], 100 + (i * 5000), 5000, BlobKind.Data));
        }
        prefetch.Chunk(new ChunkLocation(packs[0], 100 + (10 * 5000) + 4096, 5000, BlobKind.Data));
        Assert.Equal(0, prefetch.RangesGiven);
        prefetch.Flush();
        Assert.Equal(1, prefetch.RangesGiven);

        // Another pack, a jump back, a jump far ahead: a range each.
        prefetch.Chunk(new ChunkLocation(packs[1], 0, 5000, BlobKind.Data));
        prefetch.Chunk(new ChunkLocation(packs[0], 0, 100, BlobKind.Data));
        prefetch.Chunk(new ChunkLocation(packs[0], 1 << 20, 100, BlobKind.Data));
        prefetch.Flush();
        Assert.Equal(4, prefetch.RangesGiven);

        // A run of chunks longer than the longest range is split.
        for (var offset = 0L; offset < 3 * ChunkPrefetch.MaxRange; offset += 64 << 10)
        {
            prefetch.Chunk(new ChunkLocation(packs[1], offset, 64 << 10, BlobKind.Data));
        }
        prefetch.Dispose();
        Assert.Equal(7, prefetch.RangesGiven);
    }
}
