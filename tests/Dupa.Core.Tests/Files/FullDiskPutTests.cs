using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Files;

public sealed class FullDiskPutTests
{
    [Fact]
    public async Task Put_DiskFillsWhilePacksAreFinished_FailsWithTheDiskFull_KeepsCommittedBatches_VerifiesClean()
    {
        // Packs of 1 MiB fill and are finished in the background while the next one is written, until the disk is full.
        using var disk = new SmallDisk(megabytes: 3);
        using var root = new TempDirectory();
        var vaultDirectory = Path.Combine(disk.Path, "vault");
        VaultInit.Create(vaultDirectory, TestVault.Passphrase, TestVault.CheapOptions, TimeProvider.System);
        var source = root.Combine("source");
        Directory.CreateDirectory(source);
        var random = new SeededRandom(28);
        for (var i = 0; i < 12; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(source, $"file-{i:D2}.bin"), random.NextBytes(512 * 1024));
        }

        DupaException failure;
        using (var vault = Open(vaultDirectory, writable: true))
        {
            var importer = new FileImporter(vault, new PutOptions { BatchSize = 2 });
            failure = await Assert.ThrowsAsync<DupaException>(() => importer.ImportAsync([source], "/"));
        }

        Assert.Equal(ErrorCode.Io, failure.Code);
        Assert.Contains("the disk is full", failure.Message, StringComparison.Ordinal);
        using var reopened = Open(vaultDirectory, writable: false);
        var report = new Verifier(reopened).Run(quick: false);
        Assert.True(report.IsClean, string.Join("; ", report.Problems));
        // Every pack on disk is one a committed batch refers to; no temporary pack is left.
        var packs = Path.Combine(vaultDirectory, "packs");
        Assert.Equal(report.Packs, Directory.EnumerateFiles(packs, "*", SearchOption.AllDirectories).Count(p => !Path.GetRelativePath(packs, p).StartsWith("tmp/", StringComparison.Ordinal)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(packs, "tmp")));
        // ... and holds chunks of a committed file: gc would delete no pack and remove no chunk.
        using (var writable = Open(vaultDirectory, writable: true))
        {
            var gc = new GarbageCollector(writable).Run(dryRun: true);
            Assert.Equal((0, 0), (gc.PacksDeleted, gc.ChunksRemoved));
        }
        var kept = reopened.State.Nodes.Where(n => n.Path.StartsWith("/source/", StringComparison.Ordinal)).ToList();
        Assert.True(kept.Count < 12, "the disk cannot hold all 12 files");
        foreach (var node in kept)
        {
            using var stream = reopened.OpenRead(node.Current);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, Path.GetFileName(node.Path))), copy.ToArray());
        }
    }

    private static Vault Open(string directory, bool writable) =>
        Vault.Open(directory, VaultSecret.Passphrase(TestVault.Passphrase), new VaultOpenOptions { Writable = writable });
}
