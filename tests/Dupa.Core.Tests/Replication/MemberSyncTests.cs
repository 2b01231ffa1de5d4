using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Replication;
using Dupa.Core.Storage;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Replication;

/// <summary>Two members of one vault, each with its own directory and device, pulling from each other (docs/protocol.md, Members).</summary>
public sealed class MemberSyncTests
{
    [Fact]
    public async Task Members_EditApart_ThenPullBothWays_ConvergeWithConflictCopies_AndEveryFileReads()
    {
        using var a = new TestVault();
        using var root = new TempDirectory();
        var random = new SeededRandom(51);
        var big = random.NextBytes(200_000); // more than 8 chunks: stored with a chunk-list blob
        a.WriteSource("docs/big.bin", big);
        a.WriteSource("docs/edit.txt", "version 1"u8.ToArray());
        a.WriteSource("docs/gone.txt", "both saw this"u8.ToArray());
        a.WriteSource("old/notes.txt", "to be moved"u8.ToArray());
        a.Put(Path.Combine(a.Source, "docs"));
        a.Put(Path.Combine(a.Source, "old"));

        var bDirectory = root.Combine("b");
        using var vaultA = a.Open(writable: true);
        using var vaultB = Join(vaultA, bDirectory);
        var toB = await Pull(vaultB, vaultA);
        Assert.True(toB.Chunks > 8, $"{toB.Chunks} chunks");
        Assert.Equal(0, toB.StillMissing);
        Assert.Equal(big, Read(vaultB, "/docs/big.bin"));
        Assert.Empty(vaultB.MissingChunks());

        // Apart: both edit the same file; A deletes what B edits; A renames a folder; each adds its own file.
        await Put(vaultA, root, "/docs/edit.txt", "A's edit"u8.ToArray());
        await Put(vaultB, root, "/docs/edit.txt", "B's edit"u8.ToArray());
        TrashCommands.Remove(vaultA, "/docs/gone.txt");
        await Put(vaultB, root, "/docs/gone.txt", "B changed it"u8.ToArray());
        FileCommands.Move(vaultA, "/old", "/archive");
        await Put(vaultB, root, "/old/notes.txt", "edited where it was"u8.ToArray());
        FileCommands.Move(vaultA, "/docs/big.bin", "/docs/a.bin");
        FileCommands.Move(vaultB, "/docs/big.bin", "/docs/b.bin");
        await Put(vaultA, root, "/a-only.bin", random.NextBytes(50_000));
        await Put(vaultB, root, "/b-only.bin", random.NextBytes(50_000));

        // Pulled into vaults whose state an idle node let go of: the logs are read again before they grow, once.
        vaultA.ReleaseState();
        vaultB.ReleaseState();
        await Pull(vaultA, vaultB);
        await Pull(vaultB, vaultA);

        Assert.Equal(Convert.ToHexString(vaultA.State.ComputeHash()), Convert.ToHexString(vaultB.State.ComputeHash()));
        foreach (var vault in new[] { vaultA, vaultB })
        {
            Assert.Equal(vault.Entries.Count, vault.Entries.Select(e => (e.Device, e.Sequence)).Distinct().Count());
            var edits = vault.State.Nodes.Where(n => n.Path.StartsWith("/docs/edit", StringComparison.Ordinal)).Select(n => System.Text.Encoding.UTF8.GetString(Read(vault, n.Path))).Order().ToList();
            Assert.Equal(["A's edit", "B's edit"], edits);
            Assert.Single(vault.State.Nodes, n => n.Path.Contains("(conflict ", StringComparison.Ordinal));
            Assert.Equal("B changed it"u8.ToArray(), Read(vault, "/docs/gone.txt"));
            // The edit followed the folder's rename; of two renames of one file, the one folded first wins.
            Assert.Equal("edited where it was"u8.ToArray(), Read(vault, "/archive/notes.txt"));
            Assert.Equal(2, vault.State.Get("/archive/notes.txt")!.Versions.Count);
            Assert.Null(vault.State.Get("/old/notes.txt"));
            Assert.Null(vault.State.Get("/docs/big.bin"));
            var renamed = Assert.Single(vault.State.Nodes, n => n.Path is "/docs/a.bin" or "/docs/b.bin");
            Assert.Equal(big, Read(vault, renamed.Path));
            Assert.Equal(50_000, Read(vault, "/a-only.bin").Length);
            Assert.Equal(50_000, Read(vault, "/b-only.bin").Length);
            Assert.Empty(vault.MissingChunks());
        }
        // Nothing left to send either way.
        Assert.Equal(new MemberPullResult(0, 0, 0, 0), await Pull(vaultA, vaultB));
        Assert.Equal(new MemberPullResult(0, 0, 0, 0), await Pull(vaultB, vaultA));
        // Opened anew, the two devices' logs fold as they decode (in clock order across both) to the same state.
        using var reopened = a.Open();
        Assert.Equal(Convert.ToHexString(vaultA.State.ComputeHash()), Convert.ToHexString(reopened.State.ComputeHash()));
        Assert.Equal(Convert.ToHexString(VaultState.Fold(reopened.Entries).ComputeHash()), Convert.ToHexString(reopened.State.ComputeHash()));
    }

    [Fact]
    public async Task AnEntryNotSealedWithTheVaultKey_IsRefused_AndTheLogIsLeftAsItWas()
    {
        using var a = new TestVault();
        using var root = new TempDirectory();
        a.Put(a.WriteSource("f.txt", "hello"u8.ToArray()));
        using var vaultA = a.Open(writable: true);
        using var vaultB = Join(vaultA, root.Combine("b"));
        await Pull(vaultB, vaultA);
        var before = Convert.ToHexString(vaultB.State.ComputeHash());

        // An outsider signs a well-formed entry for this vault, but cannot seal its payload with the vault key.
        using var outsider = DeviceKey.Create();
        var wrongSeal = new byte[32];
        var entry = LogEntry.Create(vaultA.Header.VaultIdBytes, outsider, 1, new byte[32], Hlc.Next(vaultA.State.LastClock, TimeProvider.System.GetUtcNow()),
            new Payload([new DeviceOp(outsider.Id.Hex), new TrashOp("/f.txt")]).Encode(), epoch: 0, wrongSeal);
        var frames = root.Combine("outsider.log");
        LogFile.Append(frames, 0, [entry]);
        var peer = new ForgingPeer(vaultA, outsider, await File.ReadAllBytesAsync(frames));

        await Assert.ThrowsAsync<IntegrityException>(() => MemberSync.PullAsync(vaultB.Directory, Direct(vaultB), peer, null, CancellationToken.None));
        Assert.Equal(0, new ReplicaCopy(vaultB.Directory).LogLength(outsider.Id.Hex));
        Assert.Equal(before, Convert.ToHexString(vaultB.State.ComputeHash()));
        Assert.NotNull(vaultB.State.Get("/f.txt"));
    }

    [Fact]
    public async Task AChunkAlteredOnThePeer_IsNotStored_AndIsReported_WhileTheOthersArrive()
    {
        using var a = new TestVault();
        using var root = new TempDirectory();
        var random = new SeededRandom(52);
        a.Put(a.WriteSource("one.bin", random.NextBytes(3000)));
        a.Put(a.WriteSource("two.bin", random.NextBytes(3000)));
        using var vaultA = a.Open(writable: true);
        using var vaultB = Join(vaultA, root.Combine("b"));
        var victim = vaultA.State.Get("/one.bin")!.Current.Content.Chunks[0].Id;
        var peer = new DirectoryPeer(vaultA) { Alter = victim };

        var error = await Assert.ThrowsAsync<IntegrityException>(() => MemberSync.PullAsync(vaultB.Directory, Direct(vaultB), peer, null, CancellationToken.None));
        Assert.Contains("1 chunk(s)", error.Message, StringComparison.Ordinal);
        Assert.Equal([(victim, BlobKind.Data)], vaultB.MissingChunks());
        Assert.Equal(3000, Read(vaultB, "/two.bin").Length);

        // From a good copy the missing chunk arrives.
        await Pull(vaultB, vaultA);
        Assert.Empty(vaultB.MissingChunks());
    }

    [Fact]
    public async Task AfterTheOwnerRotatesTheKey_AMemberNeedsTheNewKey_ThenBothWaysWorkUnderIt()
    {
        using var a = new TestVault();
        using var root = new TempDirectory();
        using var vaultA = a.Open(writable: true);
        await Put(vaultA, root, "/before.txt", "before"u8.ToArray());
        var vaultB = Join(vaultA, root.Combine("b"));
        try
        {
            await Pull(vaultB, vaultA);
            vaultA.RotateKey();
            await Put(vaultA, root, "/after.txt", "after"u8.ToArray());

            // B learns of the rotation from A's header and pulls nothing it cannot open.
            var refused = await Assert.ThrowsAsync<DupaException>(() => Pull(vaultB, vaultA));
            Assert.Equal(ErrorCode.KeyRotated, refused.Code);
            Assert.Equal(1, VaultHeader.Read(vaultB.Directory).Epoch);
            Assert.Null(vaultB.State.Get("/after.txt"));
            Assert.Equal(ErrorCode.KeyRotated, Assert.Throws<DupaException>(() => FileCommands.Move(vaultB, "/before.txt", "/moved.txt")).Code);

            // Given the new key, B opens, pulls, and writes under the new epoch; A reads it.
            vaultB.Dispose();
            using var agreement = AgreementKey.Create();
            vaultB = Vault.Open(vaultB.Directory, VaultSecret.Wrapped(agreement, vaultA.WrapKeyTo(agreement.PublicKey, "member"), "member"), new VaultOpenOptions { Writable = true });
            await Pull(vaultB, vaultA);
            Assert.Equal("after"u8.ToArray(), Read(vaultB, "/after.txt"));
            await Put(vaultB, root, "/from-b.txt", "B, epoch 1"u8.ToArray());
            await Pull(vaultA, vaultB);
            Assert.Equal("B, epoch 1"u8.ToArray(), Read(vaultA, "/from-b.txt"));
            Assert.Equal(Convert.ToHexString(vaultA.State.ComputeHash()), Convert.ToHexString(vaultB.State.ComputeHash()));
        }
        finally
        {
            vaultB.Dispose();
        }
    }

    [Fact]
    public async Task APulledLog_CutMidFrame_OrAlteredInItsLastEntry_WritesOnlyWhatChecks_AndTheNextPullCompletes()
    {
        using var a = new TestVault();
        using var root = new TempDirectory();
        using var vaultA = a.Open(writable: true);
        using var vaultB = Join(vaultA, root.Combine("b"));
        await Pull(vaultB, vaultA);
        var device = vaultA.Device!.Id.Hex;
        var before = vaultB.LogLength(device);
        await Put(vaultA, root, "/one.txt", "one"u8.ToArray());
        await Put(vaultA, root, "/two.txt", "two"u8.ToArray());

        // The connection drops inside the last frame: the complete entries are taken, the torn one is not.
        await MemberSync.PullAsync(vaultB.Directory, Direct(vaultB), new CuttingPeer(vaultA, bytes => bytes[..^10]), null, CancellationToken.None);
        Assert.NotNull(vaultB.State.Get("/one.txt"));
        Assert.Null(vaultB.State.Get("/two.txt"));
        Assert.Equal(new FileInfo(Path.Combine(vaultB.Directory, "logs", device + ".log")).Length, vaultB.LogLength(device));

        // The rest arrives altered: refused whole, nothing written; then the good bytes complete it.
        await Put(vaultA, root, "/three.txt", "three"u8.ToArray());
        var flipped = await Assert.ThrowsAsync<IntegrityException>(() => MemberSync.PullAsync(vaultB.Directory, Direct(vaultB), new CuttingPeer(vaultA, bytes =>
        {
            var altered = bytes.ToArray();
            altered[^20] ^= 1;
            return altered;
        }), null, CancellationToken.None));
        Assert.Contains("signature", flipped.Message, StringComparison.Ordinal);
        Assert.Null(vaultB.State.Get("/two.txt"));
        await Pull(vaultB, vaultA);
        Assert.True(vaultB.LogLength(device) > before);
        Assert.Equal(Convert.ToHexString(vaultA.State.ComputeHash()), Convert.ToHexString(vaultB.State.ComputeHash()));
        using var reopened = Vault.Open(vaultB.Directory, VaultSecret.Passphrase(TestVault.Passphrase));
        Assert.Equal(Convert.ToHexString(vaultA.State.ComputeHash()), Convert.ToHexString(reopened.State.ComputeHash()));
    }

    /// <summary>B joins A's vault as a member would: copies of the header, device keys and logs, and A's key wrapped to B's agreement key.</summary>
    private static Vault Join(Vault owner, string directory)
    {
        var copy = new ReplicaCopy(directory);
        var manifest = ReplicaCopy.Offer(owner.Directory);
        copy.AcceptHeaderAndDevices(manifest);
        foreach (var log in manifest.Logs)
        {
            copy.AcceptLogBytes(log.Device, 0, File.ReadAllBytes(Path.Combine(owner.Directory, "logs", log.Device + ".log")));
        }
        using var agreement = AgreementKey.Create();
        var secret = VaultSecret.Wrapped(agreement, owner.WrapKeyTo(agreement.PublicKey, "member"), "member");
        VaultInit.Join(directory, secret);
        return Vault.Open(directory, secret, new VaultOpenOptions { Writable = true });
    }

    private static Task<MemberPullResult> Pull(Vault into, Vault from) =>
        MemberSync.PullAsync(into.Directory, Direct(into), new DirectoryPeer(from), null, CancellationToken.None);

    private static VaultAccess Direct(Vault vault) => action =>
    {
        action(vault);
        return Task.CompletedTask;
    };

    private static async Task Put(Vault vault, TempDirectory root, string path, byte[] content)
    {
        var source = root.Combine("src-" + Guid.NewGuid().ToString("N"), Path.GetFileName(path));
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        await File.WriteAllBytesAsync(source, content);
        await new FileImporter(vault).ImportAsync([source], Path.GetDirectoryName(path)!.Replace('\\', '/'));
    }

    private static byte[] Read(Vault vault, string path)
    {
        using var stream = vault.OpenRead(vault.State.Get(path)!.Current);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private class DirectoryPeer(Vault vault) : IVaultPeer
    {
        public ChunkId? Alter { get; init; }

        public virtual Task<ReplicaManifest> ManifestAsync(CancellationToken cancellationToken) => Task.FromResult(ReplicaCopy.Offer(vault.Directory));

        public virtual async Task<byte[]> LogBytesAsync(string device, long offset, CancellationToken cancellationToken) =>
            (await File.ReadAllBytesAsync(Path.Combine(vault.Directory, "logs", device + ".log"), cancellationToken))[(int)offset..];

        public Task<byte[]?> SealedChunkAsync(ChunkId id, CancellationToken cancellationToken)
        {
            var sealedBlob = vault.ReadSealedChunk(id);
            if (sealedBlob is not null && id == Alter)
            {
                sealedBlob[^3] ^= 1;
            }
            return Task.FromResult(sealedBlob);
        }
    }

    private sealed class CuttingPeer(Vault vault, Func<byte[], byte[]> cut) : DirectoryPeer(vault)
    {
        public override async Task<byte[]> LogBytesAsync(string device, long offset, CancellationToken cancellationToken) =>
            cut(await base.LogBytesAsync(device, offset, cancellationToken));
    }

    private sealed class ForgingPeer(Vault vault, DeviceKey outsider, byte[] log) : DirectoryPeer(vault)
    {
        public override async Task<ReplicaManifest> ManifestAsync(CancellationToken cancellationToken)
        {
            var real = await base.ManifestAsync(cancellationToken);
            return real with
            {
                Devices = [.. real.Devices, new ReplicaDevice(outsider.Id.Hex, Convert.ToBase64String(outsider.PublicKey))],
                Logs = [.. real.Logs, new ReplicaLog(outsider.Id.Hex, log.Length)],
            };
        }

        public override Task<byte[]> LogBytesAsync(string device, long offset, CancellationToken cancellationToken) =>
            device == outsider.Id.Hex ? Task.FromResult(log[(int)offset..]) : base.LogBytesAsync(device, offset, cancellationToken);
    }
}
