using System.Buffers.Binary;
using Dupa.Core.Errors;
using Dupa.Core.Replication;
using Dupa.Core.Tests.Support;
using Dupa.Testing;

namespace Dupa.Core.Tests.Replication;

public sealed class ReplicaCopyTests
{
    [Fact]
    public async Task ForgedReplayedReorderedOrTornLogBytes_AndAlteredPacks_AreRefused()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(12);
        for (var i = 0; i < 3; i++)
        {
            vault.Put(vault.WriteSource($"f{i}.bin", random.NextBytes(5000)));
        }
        var manifest = ReplicaCopy.Offer(vault.Directory);
        var log = Assert.Single(manifest.Logs);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(vault.Directory, "logs", log.Device + ".log"));
        var frames = Frames(bytes);
        Assert.True(frames.Count >= 4, $"{frames.Count} entries");

        using var root = new TempDirectory();
        var copy = new ReplicaCopy(root.Combine("replica"));
        copy.AcceptHeaderAndDevices(manifest);

        // Reordered: entry 2 before entry 1.
        Assert.Throws<IntegrityException>(() => copy.AcceptLogBytes(log.Device, 0, frames[1]));
        Assert.Equal(0, copy.LogLength(log.Device));
        // Forged: one flipped bit in entry 1.
        var forged = frames[0].ToArray();
        forged[^10] ^= 1;
        Assert.Throws<IntegrityException>(() => copy.AcceptLogBytes(log.Device, 0, forged));
        Assert.Equal(0, copy.LogLength(log.Device));
        // Entries 1 and 2, and half of 3 (the owner was mid-append): the half is cut off.
        copy.AcceptLogBytes(log.Device, 0, [.. frames[0], .. frames[1], .. frames[2][..(frames[2].Length / 2)]]);
        Assert.Equal(frames[0].Length + frames[1].Length, copy.LogLength(log.Device));
        // Replayed: entry 2 again after itself.
        Assert.Throws<IntegrityException>(() => copy.AcceptLogBytes(log.Device, copy.LogLength(log.Device), frames[1]));
        Assert.Equal(frames[0].Length + frames[1].Length, copy.LogLength(log.Device));
        // The rest, from where it stopped.
        copy.AcceptLogBytes(log.Device, copy.LogLength(log.Device), bytes.AsSpan(frames[0].Length + frames[1].Length));
        Assert.Equal(bytes.Length, copy.LogLength(log.Device));
        Assert.Throws<DupaException>(() => copy.AcceptLogBytes(log.Device, 0, frames[0]));

        // Packs: bytes that do not hash to the name are not stored; the real ones are.
        var pack = manifest.Packs[0];
        var packPath = Path.Combine(vault.Directory, Storage.PackFormat.RelativePath(pack.Hash));
        var content = await File.ReadAllBytesAsync(packPath);
        var altered = content.ToArray();
        altered[100] ^= 1;
        await Assert.ThrowsAsync<IntegrityException>(() => copy.AcceptPackAsync(pack.Hash, new MemoryStream(altered), CancellationToken.None));
        Assert.False(copy.HasPack(pack.Hash));
        foreach (var p in manifest.Packs)
        {
            await using var stream = File.OpenRead(Path.Combine(vault.Directory, Storage.PackFormat.RelativePath(p.Hash)));
            await copy.AcceptPackAsync(p.Hash, stream, CancellationToken.None);
        }
        Assert.Equal(0, copy.BytesBehind(manifest));
        Assert.Empty(copy.Verify());
        Assert.Empty(Directory.EnumerateFiles(root.Combine("replica", "packs", "tmp")));

        // A device key that does not hash to its ID is refused.
        var bad = manifest with { Devices = [manifest.Devices[0] with { PublicKey = Convert.ToBase64String(new byte[91]) }] };
        Assert.Throws<IntegrityException>(() => new ReplicaCopy(root.Combine("other")).AcceptHeaderAndDevices(bad));
    }

    [Fact]
    public async Task AcceptLogBytes_ContinuingAVerifiedLog_ChecksOnlyTheNewEntriesAgainstItsEnd()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(21);
        for (var i = 0; i < 4; i++)
        {
            vault.Put(vault.WriteSource($"f{i}.bin", random.NextBytes(3000)));
        }
        var manifest = ReplicaCopy.Offer(vault.Directory);
        var log = Assert.Single(manifest.Logs);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(vault.Directory, "logs", log.Device + ".log"));
        var frames = Frames(bytes);
        using var root = new TempDirectory();
        var copy = new ReplicaCopy(root.Combine("replica"));
        copy.AcceptHeaderAndDevices(manifest);

        copy.AcceptLogBytes(log.Device, 0, frames[0]);
        // One entry at a time after the one verified last; a forged or replayed one is refused and nothing of it kept.
        var forged = frames[1].ToArray();
        forged[^10] ^= 1;
        Assert.Throws<IntegrityException>(() => copy.AcceptLogBytes(log.Device, frames[0].Length, forged));
        Assert.Throws<IntegrityException>(() => copy.AcceptLogBytes(log.Device, frames[0].Length, frames[0]));
        Assert.Equal(frames[0].Length, copy.LogLength(log.Device));
        // A torn entry after the verified end is not kept.
        copy.AcceptLogBytes(log.Device, frames[0].Length, [.. frames[1], .. frames[2][..10]]);
        Assert.Equal(frames[0].Length + frames[1].Length, copy.LogLength(log.Device));

        // Another copy of the same directory (a restarted node) knows nothing verified yet and reads the log whole.
        var restarted = new ReplicaCopy(root.Combine("replica"));
        var offset = frames[0].Length + frames[1].Length;
        Assert.Throws<IntegrityException>(() => restarted.AcceptLogBytes(log.Device, offset, frames[1]));
        Assert.Equal(offset, restarted.LogLength(log.Device));
        restarted.AcceptLogBytes(log.Device, offset, bytes.AsSpan(offset));
        Assert.Equal(bytes.Length, restarted.LogLength(log.Device));
        Assert.Empty(restarted.Verify());
    }

    [Fact]
    public async Task Repair_RemovesAlteredPacksAndCutsDamagedLogs_SoTheNextPullRestoresThem()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(13);
        for (var i = 0; i < 3; i++)
        {
            vault.Put(vault.WriteSource($"f{i}.bin", random.NextBytes(400_000)));
        }
        using var root = new TempDirectory();
        var copy = new ReplicaCopy(root.Combine("replica"));
        await PullAsync(copy, vault.Directory);
        Assert.Empty(copy.Repair());

        var manifest = ReplicaCopy.Offer(vault.Directory);
        var packPath = Path.Combine(copy.Directory, Storage.PackFormat.RelativePath(manifest.Packs[0].Hash));
        var pack = await File.ReadAllBytesAsync(packPath);
        pack[pack.Length / 2] ^= 1;
        await File.WriteAllBytesAsync(packPath, pack);
        var logPath = Path.Combine(copy.Directory, "logs", manifest.Logs[0].Device + ".log");
        var log = await File.ReadAllBytesAsync(logPath);
        log[^20] ^= 1; // inside the last entry's signature
        await File.WriteAllBytesAsync(logPath, log);
        Assert.Equal(2, copy.Verify().Count);

        var repaired = copy.Repair();
        Assert.Equal(2, repaired.Count);
        Assert.Contains(repaired, r => r.Contains("altered", StringComparison.Ordinal));
        Assert.Contains(repaired, r => r.Contains("cut back", StringComparison.Ordinal));
        Assert.Empty(copy.Verify());
        Assert.True(copy.BytesBehind(manifest) > 0);

        await PullAsync(copy, vault.Directory);
        Assert.Equal(0, copy.BytesBehind(manifest));
        Assert.Empty(copy.Verify());
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(vault.Directory, "logs", manifest.Logs[0].Device + ".log")), await File.ReadAllBytesAsync(logPath));
    }

    [Fact]
    public async Task Prune_SetsAsidePacksTheOwnerDropped_DeletesThemAfterTheGrace_AndNeverEmptiesTheCopy()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(14);
        for (var i = 0; i < 3; i++)
        {
            vault.Put(vault.WriteSource($"f{i}.bin", random.NextBytes(400_000)));
        }
        using var root = new TempDirectory();
        var copy = new ReplicaCopy(root.Combine("replica"));
        await PullAsync(copy, vault.Directory);
        var manifest = ReplicaCopy.Offer(vault.Directory);
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

        // The owner lists no packs at all (a lost disk, most likely): nothing is pruned.
        Assert.Equal(0, copy.Prune(manifest with { Packs = [] }, now, TimeSpan.FromDays(30)));
        Assert.Equal(manifest.Packs.Count, Directory.EnumerateFiles(Path.Combine(copy.Directory, "packs"), "*.pack", SearchOption.AllDirectories).Count());

        // The owner's gc dropped one pack: it is set aside, kept through the grace period, then deleted.
        var dropped = manifest.Packs[0].Hash;
        Assert.Equal(1, copy.Prune(manifest with { Packs = manifest.Packs.Skip(1).ToList() }, now, TimeSpan.FromDays(30)));
        Assert.False(copy.HasPack(dropped));
        var aside = Path.Combine(copy.Directory, "pruned", dropped + ".pack");
        Assert.True(File.Exists(aside));
        copy.Prune(manifest with { Packs = manifest.Packs.Skip(1).ToList() }, now.AddDays(29), TimeSpan.FromDays(30));
        Assert.True(File.Exists(aside));
        copy.Prune(manifest with { Packs = manifest.Packs.Skip(1).ToList() }, now.AddDays(31), TimeSpan.FromDays(30));
        Assert.False(File.Exists(aside));
    }

    [Fact]
    public async Task AManifestNamingPathsForLogs_KeysThatAreNotP256_OrAnotherVaultsHeader_IsRefused()
    {
        using var vault = new TestVault();
        using var other = new TestVault();
        using var root = new TempDirectory();
        var copy = new ReplicaCopy(root.Combine("replica"));
        await PullAsync(copy, vault.Directory);
        var manifest = ReplicaCopy.Offer(vault.Directory);

        Assert.Throws<IntegrityException>(() => copy.AcceptLogBytes("../../escape", 0, [1, 2, 3]));
        Assert.Throws<IntegrityException>(() => copy.LogLength("/etc/passwd"));
        var notAKey = new SeededRandom(15).NextBytes(91);
        var forged = manifest with { Devices = [new ReplicaDevice(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(notAKey)), Convert.ToBase64String(notAKey))] };
        Assert.Throws<IntegrityException>(() => copy.AcceptDevices(forged));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(copy.Directory, "devices")));
        var stranger = ReplicaCopy.Offer(other.Directory);
        Assert.Throws<IntegrityException>(() => copy.AcceptHeaderAndDevices(manifest with { Header = stranger.Header }));
        Assert.Empty(copy.Verify());
    }

    /// <summary>What a replica's pass does, from a directory instead of over the network.</summary>
    private static async Task PullAsync(ReplicaCopy copy, string owner)
    {
        var manifest = ReplicaCopy.Offer(owner);
        copy.AcceptHeaderAndDevices(manifest);
        foreach (var log in manifest.Logs.Where(l => l.Length > copy.LogLength(l.Device)))
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(owner, "logs", log.Device + ".log"));
            copy.AcceptLogBytes(log.Device, copy.LogLength(log.Device), bytes.AsSpan((int)copy.LogLength(log.Device)));
        }
        foreach (var pack in manifest.Packs.Where(p => !copy.HasPack(p.Hash)))
        {
            await using var stream = File.OpenRead(Path.Combine(owner, Storage.PackFormat.RelativePath(pack.Hash)));
            await copy.AcceptPackAsync(pack.Hash, stream, CancellationToken.None);
        }
    }

    private static List<byte[]> Frames(byte[] log)
    {
        var frames = new List<byte[]>();
        for (var offset = 0; offset < log.Length;)
        {
            var length = 4 + BinaryPrimitives.ReadInt32LittleEndian(log.AsSpan(offset));
            frames.Add(log[offset..(offset + length)]);
            offset += length;
        }
        return frames;
    }
}
