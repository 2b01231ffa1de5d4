using Dupa.Core.Errors;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

public sealed class VerifierTests
{
    private static TestVault VaultWithSeveralPacks()
    {
        var vault = new TestVault(TestVault.CheapOptions);
        var random = new SeededRandom(17);
        for (var i = 0; i < 8; i++)
        {
            vault.WriteSource($"f{i}.bin", random.NextBytes(random.Next(300_000, 700_000)));
        }
        vault.WriteSource("text.txt", System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compressible line of text\n", 20_000))));
        vault.Put(vault.Source);
        return vault;
    }

    private static string[] PackFiles(TestVault vault) =>
        [.. Directory.EnumerateFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Hashes every pack ahead, to the end, then verifies with those hashes: every pack takes the path that only opens chunks.</summary>
    private static VerifyReport VerifyHashedAhead(TestVault vault, Action? beforeVerify = null)
    {
        using var ahead = PackHashing.Start(vault.Directory);
        ahead.WaitForTesting();
        beforeVerify?.Invoke();
        using var opened = vault.Open(tolerateDamage: true);
        return new Verifier(opened, hashedAhead: ahead).Run(quick: false);
    }

    [Fact]
    public void Run_PacksHashedAhead_ReportsWhatAVerifyWithoutThemReports()
    {
        using var vault = VaultWithSeveralPacks();
        Assert.True(PackFiles(vault).Length >= 3);

        var plain = vault.Verify();
        var ahead = VerifyHashedAhead(vault);

        Assert.True(plain.IsClean);
        Assert.True(ahead.IsClean);
        Assert.Equal(plain.Packs, ahead.Packs);
        Assert.Equal(plain.Chunks, ahead.Chunks);
        Assert.Equal(plain.BytesRead, ahead.BytesRead);
        Assert.Equal(PackFiles(vault).Sum(f => new FileInfo(f).Length), ahead.BytesRead);
    }

    [Fact]
    public void Run_PackFlippedBeforeHashingAhead_IsReportedForThatPack()
    {
        using var vault = VaultWithSeveralPacks();
        foreach (var pack in PackFiles(vault))
        {
            var length = new FileInfo(pack).Length;
            // The header, a blob, the trailer: each is found whether the pack was hashed ahead or not.
            foreach (var offset in new[] { 9, length / 2, length - 20 })
            {
                FileDamage.Flip(pack, offset);
                try
                {
                    var report = VerifyHashedAhead(vault);
                    Assert.Contains(report.Problems, p => p.Object == $"pack {Path.GetFileNameWithoutExtension(pack)[..12]}" && p.Message.Contains("does not match its hash", StringComparison.Ordinal));
                }
                finally
                {
                    FileDamage.Flip(pack, offset);
                }
            }
        }
        Assert.True(VerifyHashedAhead(vault).IsClean);
    }

    [Fact]
    public void Run_PackAlteredAfterItWasHashedAhead_ChunkFailsToOpen()
    {
        using var vault = VaultWithSeveralPacks();
        var pack = PackFiles(vault)[0];
        var report = VerifyHashedAhead(vault, () => FileDamage.Flip(pack, new FileInfo(pack).Length / 2));

        // The hash was taken before the change; the chunk read after it does not authenticate.
        Assert.False(report.IsClean);
        Assert.Contains(report.Problems, p => p.Object.StartsWith("chunk ", StringComparison.Ordinal) && p.Object.EndsWith($"in pack {Path.GetFileNameWithoutExtension(pack)[..12]}", StringComparison.Ordinal));
    }

    /// <summary>
    /// A chunk header's key epoch byte flipped to an epoch the vault never had: damage, reported for that chunk and
    /// its pack, and the verify goes on (it once ended with "the vault's key was rotated; ask its owner to share it
    /// again", checking nothing after it); a read of the file refuses with an integrity error, not that advice.
    /// </summary>
    [Fact]
    public void Run_ChunkClaimingAnEpochTheKeyLacks_IsReportedAndTheRestVerified()
    {
        using var vault = VaultWithSeveralPacks();
        var pack = PackFiles(vault)[0];
        var packName = $"pack {Path.GetFileNameWithoutExtension(pack)[..12]}";
        // The first blob starts after the pack's 12-byte header; its header's fourth byte is the key epoch (docs/format.md).
        FileDamage.Flip(pack, 12 + 3);

        var report = vault.Verify();

        Assert.Contains(report.Problems, p => p.Object.StartsWith("chunk ", StringComparison.Ordinal) && p.Object.EndsWith("in " + packName, StringComparison.Ordinal)
            && p.Message.Contains("key epoch 1", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.Object == packName && p.Message.Contains("does not match its hash", StringComparison.Ordinal));
        Assert.Equal(PackFiles(vault).Length, report.Packs);
        Assert.Equal(PackFiles(vault).Sum(f => new FileInfo(f).Length), report.BytesRead);

        using var opened = vault.Open(tolerateDamage: true);
        var refused = opened.State.Nodes.Where(n => n.Type == Dupa.Core.Manifest.NodeType.File).Select(file =>
        {
            try
            {
                using var stream = opened.OpenRead(file.Current);
                stream.CopyTo(Stream.Null);
                return null;
            }
            catch (IntegrityException e)
            {
                return e;
            }
        }).OfType<IntegrityException>().ToList();
        Assert.Contains(refused, e => e.Message.Contains("key epoch 1, which the vault has never had", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_PackRemovedAfterItWasHashedAhead_IsReportedMissing()
    {
        using var vault = VaultWithSeveralPacks();
        var pack = PackFiles(vault)[1];
        var report = VerifyHashedAhead(vault, () => File.Delete(pack));

        Assert.Contains(report.Problems, p => p.Object == $"pack {Path.GetFileNameWithoutExtension(pack)[..12]}" && p.Message == "the pack file is missing");
    }

    [Fact]
    public void Start_DirectoryWithoutPacks_HashesNothing()
    {
        using var temporary = new TempDirectory("dupa-verify-test-");
        using var ahead = PackHashing.Start(Path.Combine(temporary.Path, "no such vault"));
        ahead.WaitForTesting();
    }
}
