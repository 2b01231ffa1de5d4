using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

public sealed class DedupTests
{
    [Fact]
    public void Put_SameDataTwiceUnderAnotherName_StoresNoNewChunk()
    {
        using var vault = new TestVault();
        var content = new SeededRandom(3).NextBytes(300_000);
        vault.Put(vault.WriteSource("a.bin", content));
        var second = vault.Put(vault.WriteSource("copy-of-a.bin", content));

        Assert.Equal(0, second.ChunksAdded);
        Assert.Equal(0, second.BytesStored);
        Assert.Equal(content, vault.ReadFile("/copy-of-a.bin"));
    }

    [Fact]
    public void Put_OneMiBInsertedInTheMiddleOf100MiB_StoresOnlyAHandfulOfNewChunks()
    {
        // The default chunker (256 KiB / 1 MiB / 4 MiB): an insert disturbs the chunk it lands in and the
        // one after, plus the new data's own chunks.
        using var vault = new TestVault(TestVault.CheapOptions with { Chunker = Core.Chunking.ChunkerParameters.Default, PackSize = 32 * 1024 * 1024 });
        var random = new SeededRandom(100);
        var original = random.NextBytes(100 * 1024 * 1024);
        var path = vault.WriteSource("big.bin", original);
        var first = vault.Put(path);

        var insert = random.NextBytes(1024 * 1024);
        var middle = original.Length / 2;
        var changed = new byte[original.Length + insert.Length];
        original.AsSpan(0, middle).CopyTo(changed);
        insert.CopyTo(changed.AsSpan(middle));
        original.AsSpan(middle).CopyTo(changed.AsSpan(middle + insert.Length));
        File.WriteAllBytes(path, changed);
        var second = vault.Put(path);

        Assert.InRange(first.ChunksAdded, 60, 200);
        // New chunks for the inserted MiB (one to four: chunks are 256 KiB to 4 MiB), the few after it before the
        // cuts fall back in step (the first 256 KiB of each chunk is skipped, so that can take a few chunks), and
        // the new chunk list. Boundaries depend on the vault's random key; over 8,000 random trials the chunker
        // took up to 24 chunks to fall back in step, so the bound allows that spread (still under a third of the file).
        Assert.InRange(second.ChunksAdded, 1, 32);
        Assert.True(second.BytesStored < 32L * 1024 * 1024, $"stored {second.BytesStored} bytes for a 1 MiB insert into 100 MiB");
        Assert.Equal(changed, vault.ReadFile("/big.bin"));
        using var opened = vault.Open();
        var stats = VaultStats.Compute(opened);
        // 201 MiB of versions over at most 100 + 32 MiB of unique data, the same bound as above.
        Assert.True(stats.DedupRatio > 1.5, $"dedup ratio {stats.DedupRatio}");
    }
}
