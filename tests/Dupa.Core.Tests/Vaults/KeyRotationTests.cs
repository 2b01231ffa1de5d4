using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;

namespace Dupa.Core.Tests.Vaults;

/// <summary>Key epochs (docs/format.md, Key epochs): what a rotation locks out, and what it keeps working.</summary>
public sealed class KeyRotationTests
{
    [Fact]
    public void AfterRotation_AnOlderKeyReadsNothingWrittenLater_WhileTheOwnerAndANewShareReadEverything()
    {
        using var vault = new TestVault();
        using var removed = AgreementKey.Create();
        using var kept = AgreementKey.Create();
        vault.WriteSource("before.txt", "written before the rotation"u8.ToArray());
        vault.Put(Path.Combine(vault.Source, "before.txt"));
        byte[] oldShare;
        byte[] newShare;
        byte[] epochZeroKey;
        using (var owner = vault.Open(writable: true))
        {
            oldShare = owner.WrapKeyTo(removed.PublicKey, "member");
            epochZeroKey = owner.Keys.EpochKey(0).ToArray();
            Assert.Equal(1, owner.RotateKey());
            Assert.Equal(1, owner.KeyEpoch);
            newShare = owner.WrapKeyTo(kept.PublicKey, "member");
        }
        var secret = new Dupa.Testing.SeededRandom(77).NextBytes(20_000);
        vault.WriteSource("after.txt", secret);
        vault.Put(Path.Combine(vault.Source, "after.txt"));

        // The owner (passphrase or recovery key) and the new share read both files.
        foreach (var opened in new[]
        {
            vault.Open(),
            Vault.Open(vault.Directory, VaultSecret.RecoveryKey(vault.Init.RecoveryKey)),
            Vault.Open(vault.Directory, VaultSecret.Wrapped(kept, newShare, "member")),
        })
        {
            using (opened)
            {
                Assert.Equal("written before the rotation"u8.ToArray(), Read(opened, "/before.txt"));
                Assert.Equal(secret, Read(opened, "/after.txt"));
            }
        }

        // The removed member's key no longer opens the vault, and says why.
        var refused = Assert.Throws<DupaException>(() => Vault.Open(vault.Directory, VaultSecret.Wrapped(removed, oldShare, "member")));
        Assert.Equal(ErrorCode.KeyRotated, refused.Code);

        // Even working on the raw files with the epoch-0 key, the new chunk and the entries after the rotation stay shut.
        using var stale = new KeyRing(epochZeroKey, Convert.FromHexString(vault.Init.VaultId));
        using var owner2 = vault.Open();
        var after = owner2.State.Get("/after.txt")!.Current.Content.Chunks;
        var chunk = after[0].Id;
        var sealedChunk = owner2.ReadSealedChunk(chunk)!;
        Assert.Equal(1, sealedChunk[3]);
        Assert.Equal(ErrorCode.KeyRotated, Assert.Throws<DupaException>(() => new ChunkCodec(stale).Open(chunk, BlobKind.Data, sealedChunk, new byte[secret.Length], "test")).Code);
        sealedChunk[3] = 0; // claiming epoch 0 fails the tag: the epoch byte is authenticated
        Assert.IsType<IntegrityException>(Assert.ThrowsAny<DupaException>(() => new ChunkCodec(stale).Open(chunk, BlobKind.Data, sealedChunk, new byte[secret.Length], "test")));
        var log = LogFile.Read(Path.Combine(vault.Directory, LogFile.RelativePath(owner2.Device!.Id)), owner2.Device, Convert.FromHexString(vault.Init.VaultId));
        var later = log.Entries.Where(e => e.Epoch == 1).ToList();
        Assert.NotEmpty(later);
        Assert.All(later, e => Assert.Equal(ErrorCode.KeyRotated, Assert.Throws<DupaException>(() => e.OpenPayload(stale)).Code));
        Assert.Contains(owner2.Entries, e => e.Ops.OfType<KeyOp>().Any(k => k.Epoch == 1));
    }

    [Fact]
    public async Task Rotation_KeepsDeduplication_AndThePassphraseCanStillBeChanged()
    {
        using var vault = new TestVault();
        var content = new Dupa.Testing.SeededRandom(5).NextBytes(20_000);
        vault.WriteSource("a.bin", content);
        vault.Put(Path.Combine(vault.Source, "a.bin"));
        using (var owner = vault.Open(writable: true))
        {
            owner.RotateKey();
            owner.RotateKey();
            owner.ChangePassphrase("a new passphrase");
        }
        var packsBefore = Directory.EnumerateFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories).Count();
        vault.WriteSource("copy/a.bin", content);
        using (var owner = Vault.Open(vault.Directory, VaultSecret.Passphrase("a new passphrase"), new VaultOpenOptions { Writable = true }))
        {
            Assert.Equal(2, owner.KeyEpoch);
            await new Dupa.Core.Files.FileImporter(owner).ImportAsync([Path.Combine(vault.Source, "copy", "a.bin")], "/copy");
            Assert.Equal(content, Read(owner, "/copy/a.bin"));
            Assert.Empty(new Verifier(owner).Run(quick: false).Problems);
        }
        // The same content under the new epoch is the same chunk: nothing new was stored.
        Assert.Equal(packsBefore, Directory.EnumerateFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void Rotation_NeedsTheRootKey_AndTheKeyDevice()
    {
        using var vault = new TestVault();
        using var member = AgreementKey.Create();
        byte[] share;
        using (var owner = vault.Open(writable: true))
        {
            share = owner.WrapKeyTo(member.PublicKey, "member");
        }
        using (var shared = Vault.Open(vault.Directory, VaultSecret.Wrapped(member, share, "member"), new VaultOpenOptions { Writable = true }))
        {
            Assert.Equal(ErrorCode.Forbidden, Assert.Throws<DupaException>(() => shared.RotateKey()).Code);
            Assert.Equal(ErrorCode.Forbidden, Assert.Throws<DupaException>(() => shared.ChangePassphrase("x")).Code);
        }
        var header = VaultHeader.Read(vault.Directory);
        (header with { KeyDevice = new string('a', 64) }).Write(vault.Directory);
        using (var owner = vault.Open(writable: true))
        {
            var error = Assert.Throws<DupaException>(() => owner.RotateKey());
            Assert.Equal(ErrorCode.Forbidden, error.Code);
            Assert.Contains("aaaaaaaaaaaa", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Headers_TakeAnotherCopysNewerEpochs_AndRefuseEpochsThatDiffer()
    {
        using var vault = new TestVault();
        var original = VaultHeader.Read(vault.Directory);
        using (var owner = vault.Open(writable: true))
        {
            owner.RotateKey();
        }
        var rotated = VaultHeader.Read(vault.Directory);

        Assert.Equal(1, original.WithEpochsOf(rotated).Epoch);
        Assert.Same(rotated, rotated.WithEpochsOf(original));
        var forked = rotated with { Epochs = [rotated.Epochs![0], rotated.Epochs[1] with { Root = original.Epochs![0].Root }] };
        Assert.Throws<IntegrityException>(() => rotated.WithEpochsOf(forked));
        Assert.Throws<IntegrityException>(() => rotated.WithEpochsOf(rotated with { VaultId = new string('0', 32) }));
    }

    [Fact]
    public void Header_RoundTripsItsEpochs_AndRefusesMalformedOnes()
    {
        using var vault = new TestVault();
        using (var owner = vault.Open(writable: true))
        {
            owner.RotateKey();
        }
        var header = VaultHeader.Read(vault.Directory);
        Assert.Equal(header.Epochs, VaultHeader.Decode(header.Encode()).Epochs);
        Assert.Throws<IntegrityException>(() => VaultHeader.Decode((header with { Epochs = [] }).Encode()));
        Assert.Throws<IntegrityException>(() => VaultHeader.Decode((header with { Epochs = [header.Epochs![1]] }).Encode()));
        Assert.Throws<IntegrityException>(() => VaultHeader.Decode((header with { Epochs = [header.Epochs![0], header.Epochs[1] with { Previous = null }] }).Encode()));
        Assert.Throws<IntegrityException>(() => VaultHeader.Decode((header with { Epochs = [header.Epochs![0] with { Root = "AAAA" }] }).Encode()));
        Assert.Throws<IntegrityException>(() => VaultHeader.Decode((header with { KeyDevice = "xyz" }).Encode()));
    }

    private static byte[] Read(Vault vault, string path)
    {
        using var stream = vault.OpenRead(vault.State.Get(path)!.Current);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
