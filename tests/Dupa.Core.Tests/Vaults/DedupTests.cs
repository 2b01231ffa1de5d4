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

    [Fact]
    public void Put_ATreeReadSeveralFilesAtOnce_KeepsTheWalksOrderAndStoresEachDuplicateOnce()
    {
        // Files are read ahead of the writer several at a time; neighbours in the walk that share chunks must still
        // store each chunk once, every file must come back whole, and the changes keep the walk's order.
        using var vault = new TestVault();
        var random = new SeededRandom(41);
        var shared = random.NextBytes(40_000);
        var contents = new Dictionary<string, byte[]>();
        for (var i = 0; i < 300; i++)
        {
            var content = (i % 3) switch
            {
                0 => shared,
                1 => random.NextBytes(random.Next(0, 3_000)),
                _ => [.. shared, .. random.NextBytes(random.Next(1, 70_000))],
            };
            var name = $"tree/d{i % 7}/f{i:D3}.bin";
            contents[name] = content;
            vault.WriteSource(name, content);
        }

        var result = vault.Put(Path.Combine(vault.Source, "tree"));

        Assert.Equal(300, result.FilesAdded);
        Assert.Empty(result.Errors);
        foreach (var (name, content) in contents)
        {
            Assert.Equal(content, vault.ReadFile("/" + name));
        }
        using var opened = vault.Open();
        Assert.Empty(new Verifier(opened).Run(quick: false).Problems);
        // Each distinct chunk is stored once: the store holds exactly the chunks the files and their lists refer to.
        var versions = opened.State.Subtree("/tree").Where(n => n.Type == Core.Manifest.NodeType.File).Select(n => n.Current.Content).ToList();
        var referenced = versions.SelectMany(opened.ResolveChunks).Select(c => c.Id).Distinct().Count()
            + versions.Where(c => c.List is not null).Select(c => c.List).Distinct().Count();
        Assert.Equal(referenced, result.ChunksAdded);
        Assert.Equal(referenced, opened.Index.Chunks().Count);
        var walk = contents.Keys.Select(k => "/" + k).Order(StringComparer.Ordinal).ToList();
        var logged = opened.Entries.SelectMany(e => e.Ops).OfType<Core.Manifest.PutOp>()
            .Where(op => op.Type == Core.Manifest.NodeType.File).Select(op => op.Path).ToList();
        Assert.Equal(walk, logged);
    }

    [Fact]
    public async Task Put_CancelledWhileFilesAreReadAhead_KeepsWhatWasCommittedAndAVerifiableVault()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(43);
        for (var i = 0; i < 400; i++)
        {
            vault.WriteSource($"tree/f{i:D3}.bin", random.NextBytes(random.Next(1, 20_000)));
        }
        using var stop = new CancellationTokenSource();
        var options = new Core.Files.PutOptions
        {
            BatchSize = 50,
            Progress = new CancelAt(120, stop),
        };
        using (var opened = vault.Open(writable: true))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new Core.Files.FileImporter(opened, options).ImportAsync([Path.Combine(vault.Source, "tree")], "/", stop.Token));
        }

        using var after = vault.Open();
        var kept = after.State.Subtree("/tree").Count(n => n.Type == Core.Manifest.NodeType.File);
        // Batches of 50 changes (the directory is one of them) were committed before the cancel at file 120.
        Assert.Equal(99, kept);
        Assert.Empty(new Verifier(after).Run(quick: false).Problems);
        // Nothing half-written is left: a second put completes the tree.
        after.Dispose();
        Assert.Equal(400 - kept, vault.Put(Path.Combine(vault.Source, "tree")).FilesAdded);
    }

    /// <summary>Cancels a put when it reports a number of files done (IProgress, called on the put's own thread).</summary>
    private sealed class CancelAt(int files, CancellationTokenSource stop) : IProgress<Core.Files.PutProgress>
    {
        public void Report(Core.Files.PutProgress value)
        {
            if (value.FilesDone == files)
            {
                stop.Cancel();
            }
        }
    }
}
