using Dupa.Core.Errors;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

public sealed class IntegrityTests
{
    [Fact]
    public void FlippedByte_AnywhereSampled_IsDetectedAndNeverReadAsWrongData()
    {
        using var vault = new TestVault(TestVault.CheapOptions with { PackSize = 1024 * 1024 });
        var random = new SeededRandom(99);
        var originals = new Dictionary<string, byte[]>();
        for (var i = 0; i < 6; i++)
        {
            var content = random.NextBytes(random.Next(1, 400_000));
            originals[$"/source/f{i}.bin"] = content;
            vault.WriteSource($"f{i}.bin", content);
        }
        vault.Put(vault.Source);
        // A second batch, so the log holds several entries and a list blob exists.
        vault.WriteSource("later.bin", random.NextBytes(200_000));
        originals["/source/later.bin"] = File.ReadAllBytes(Path.Combine(vault.Source, "later.bin"));
        vault.Put(vault.Source);
        Assert.True(vault.Verify().IsClean);

        var targets = new List<(string File, long Offset)>();
        foreach (var file in Directory.EnumerateFiles(vault.Directory, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            // The lock holds nothing; SQLite's -shm is a cache it rebuilds from the database and WAL.
            if (name == Vault.LockFileName || name.EndsWith("-shm", StringComparison.Ordinal))
            {
                continue;
            }
            var length = new FileInfo(file).Length;
            if (name == VaultIndex.FileName)
            {
                targets.AddRange(IndexValueOffsets(vault, file).Select(o => (file, o)));
                continue;
            }
            // The first and last bytes, and evenly spread ones between.
            var samples = new SortedSet<long> { 0, 3, length - 1, length - 40 };
            for (var k = 1; k < 10; k++)
            {
                samples.Add(length * k / 10);
            }
            targets.AddRange(samples.Where(o => o >= 0 && o < length).Select(o => (file, o)));
        }
        Assert.True(targets.Count > 60, $"only {targets.Count} places sampled");

        foreach (var (file, offset) in targets)
        {
            var where = $"{Path.GetRelativePath(vault.Directory, file)} at {offset}";
            FileDamage.Flip(file, offset);
            try
            {
                AssertDetected(vault, originals, where);
            }
            finally
            {
                FileDamage.Flip(file, offset);
            }
        }
        Assert.True(vault.Verify().IsClean);
    }

    private static void AssertDetected(TestVault vault, Dictionary<string, byte[]> originals, string where)
    {
        Vault opened;
        try
        {
            opened = vault.Open(tolerateDamage: true);
        }
        catch (DupaException e) when (e.Code is ErrorCode.Integrity)
        {
            Assert.False(string.IsNullOrWhiteSpace(((IntegrityException)e).DamagedObject), where);
            return;
        }
        using (opened)
        {
            var report = new Verifier(opened).Run(quick: false);
            Assert.False(report.IsClean, $"verify missed a flipped byte in {where}");
            Assert.All(report.Problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Object)));
            foreach (var (path, expected) in originals)
            {
                var node = opened.State.Get(path);
                if (node is null)
                {
                    continue;
                }
                try
                {
                    using var stream = opened.OpenRead(node.Current);
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    Assert.True(expected.AsSpan().SequenceEqual(memory.ToArray()), $"wrong data returned for {path} after a flip in {where}");
                }
                catch (IntegrityException)
                {
                    // Refusing is right; returning wrong bytes is not.
                }
            }
        }
    }

    /// <summary>
    /// Offsets in the SQLite file of stored rows: chunk IDs in the chunks table's leaf pages, and log head
    /// hashes. (Interior b-tree pages hold copies of keys as separators; a flip there changes no lookup.)
    /// </summary>
    private static List<long> IndexValueOffsets(TestVault vault, string indexFile)
    {
        var bytes = File.ReadAllBytes(indexFile);
        using var opened = vault.Open();
        // SQLite's page size is at offset 16 of the file (big-endian; 1 means 65536). A page's first header byte
        // says its kind: 0x0A and 0x0D are leaf pages, which hold the rows themselves.
        var pageSize = (bytes[16] << 8) | bytes[17];
        pageSize = pageSize == 1 ? 65536 : pageSize;
        bool IsLeaf(long offset)
        {
            var page = offset / pageSize;
            var header = (page * pageSize) + (page == 0 ? 100 : 0);
            return bytes[header] is 0x0A or 0x0D;
        }
        var values = opened.Index.Chunks().Select(c => c.Id.ToArray()).Take(8).ToList();
        values.AddRange(opened.Index.LogHeads().Values.Select(h => h.Hash));
        var offsets = new List<long>();
        foreach (var value in values)
        {
            for (var at = bytes.AsSpan().IndexOf(value); at >= 0; at = NextIndexOf(bytes, value, at + 1))
            {
                if (IsLeaf(at))
                {
                    offsets.Add(at + 5);
                    break;
                }
            }
        }
        Assert.True(offsets.Count >= 6, "found too few index rows to damage");
        return offsets;
    }

    private static int NextIndexOf(byte[] bytes, byte[] value, int from)
    {
        var at = bytes.AsSpan(from).IndexOf(value);
        return at < 0 ? -1 : from + at;
    }

    [Fact]
    public void Open_ASignedEntryWhosePayloadDoesNotDecode_EndsThatLogThere_AndSaysSo()
    {
        using var vault = new TestVault();
        using (var writer = vault.Open(writable: true))
        {
            for (var i = 0; i < 6; i++)
            {
                writer.Append([new PutOp($"/d{i}", NodeType.Directory, 0, 0, 0x1ED)]);
            }
            // A device that signs garbage (buggy or hostile): a payload that is not JSON, then a good entry after it.
            var device = writer.Device!;
            var path = Path.Combine(writer.Directory, LogFile.RelativePath(device.Id));
            var log = LogFile.Read(path, device, writer.Header.VaultIdBytes);
            var last = log.Last!;
            var bad = LogEntry.Create(writer.Header.VaultIdBytes, device, last.Sequence + 1, last.Hash, last.Clock with { Counter = last.Clock.Counter + 1 }, "not json"u8, writer.Keys);
            var good = LogEntry.Create(writer.Header.VaultIdBytes, device, bad.Sequence + 1, bad.Hash, bad.Clock with { Counter = bad.Clock.Counter + 1 },
                new Payload([new PutOp("/after", NodeType.Directory, 0, 0, 0x1ED)]).Encode(), writer.Keys);
            LogFile.Append(path, log.CompleteLength, [bad, good]);
        }

        var e = Assert.Throws<IntegrityException>(() => vault.Open());
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);
        using var tolerant = vault.Open(tolerateDamage: true);
        Assert.Equal(["/d0", "/d1", "/d2", "/d3", "/d4", "/d5"], tolerant.State.Children("/").Select(n => n.Path));
        Assert.Contains(tolerant.LogDamage, d => d.Message.Contains("malformed", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_WrongPassphrase_FailsAndChangesNothing()
    {
        using var vault = new TestVault();
        var before = Snapshot(vault.Directory);
        var e = Assert.Throws<DupaException>(() => Vault.Open(vault.Directory, VaultSecret.Passphrase("wrong"), new VaultOpenOptions { Writable = true }));
        Assert.Equal(ErrorCode.WrongPassphrase, e.Code);
        Assert.Equal(before, Snapshot(vault.Directory));
    }

    [Fact]
    public void Open_NewerFormatVersion_SaysSo()
    {
        using var vault = new TestVault();
        var header = VaultHeader.Read(vault.Directory);
        var bytes = header.Encode();
        bytes[8] = 2;
        // Recompute the checksum as a newer dupa would have written it.
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32), bytes.AsSpan(bytes.Length - 32));
        File.WriteAllBytes(Path.Combine(vault.Directory, VaultHeader.FileName), bytes);

        var e = Assert.Throws<DupaException>(() => vault.Open());
        Assert.Equal(ErrorCode.UnsupportedVersion, e.Code);
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TruncatedHeader_IsReportedAsDamage()
    {
        using var vault = new TestVault();
        var path = Path.Combine(vault.Directory, VaultHeader.FileName);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);
        var e = Assert.Throws<IntegrityException>(() => vault.Open());
        Assert.Equal("vault header", e.DamagedObject);
    }

    [Fact]
    public void Open_MissingDirectory_IsNotFound()
    {
        var e = Assert.Throws<DupaException>(() => Vault.Open("/nonexistent/dupa/vault", VaultSecret.Passphrase("x")));
        Assert.Equal(ErrorCode.NotFound, e.Code);
    }

    [Fact]
    public void Open_ForWritingTwice_SecondIsRefusedAsLocked()
    {
        using var vault = new TestVault();
        using var first = vault.Open(writable: true);
        var e = Assert.Throws<DupaException>(() => vault.Open(writable: true));
        Assert.Equal(ErrorCode.Locked, e.Code);
        using var reader = vault.Open();
        Assert.Equal(first.State.EntryCount, reader.State.EntryCount);
    }

    [Fact]
    public void IndexRebuild_AfterIndexDeleted_RestoresEverything()
    {
        using var vault = new TestVault();
        var content = new SeededRandom(5).NextBytes(123_456);
        vault.Put(vault.WriteSource("a.bin", content));
        File.Delete(Path.Combine(vault.Directory, VaultIndex.FileName));

        using (var opened = Vault.Open(vault.Directory, VaultSecret.Passphrase(TestVault.Passphrase), new VaultOpenOptions { Writable = true, DiscardIndex = true }))
        {
            var rebuilt = IndexRebuilder.Rebuild(opened);
            Assert.True(rebuilt.Chunks > 0);
        }
        Assert.Equal(content, vault.ReadFile("/a.bin"));
        Assert.True(vault.Verify().IsClean);
    }

    [Fact]
    public void IndexRebuild_CutShortByACrash_IsRefusedReadOnly_AndFinishedByTheNextWritableOpen()
    {
        using var vault = new TestVault();
        var content = new SeededRandom(6).NextBytes(123_456);
        vault.Put(vault.WriteSource("a.bin", content));

        // The old index is gone and the rebuild never ran: as if the process died right after discarding it.
        Vault.Open(vault.Directory, VaultSecret.Passphrase(TestVault.Passphrase), new VaultOpenOptions { Writable = true, DiscardIndex = true }).Dispose();
        var refused = Assert.Throws<DupaException>(() => vault.Open());
        Assert.Equal(ErrorCode.Integrity, refused.Code);
        Assert.Contains("dupa index rebuild", refused.Message, StringComparison.Ordinal);

        using (var opened = vault.Open(writable: true))
        {
            Assert.Equal(content, ReadAll(opened, "/a.bin"));
        }
        Assert.False(File.Exists(Path.Combine(vault.Directory, "index.rebuilding")));
        Assert.Equal(content, vault.ReadFile("/a.bin"));
        Assert.True(vault.Verify().IsClean);
    }

    private static byte[] ReadAll(Vault vault, string path)
    {
        using var stream = vault.OpenRead(vault.State.Get(path)!.Current);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    [Fact]
    public void Checkpoints_WrittenEveryInterval_VerifyAgainstTheFold()
    {
        using var vault = new TestVault();
        using (var opened = vault.Open(writable: true, checkpointInterval: 3))
        {
            for (var i = 0; i < 7; i++)
            {
                opened.Append([new PutOp($"/d{i}", NodeType.Directory, 0, 0, 0x1ED)]);
            }
            Assert.True(opened.State.Checkpoints.Count >= 2);
        }
        Assert.True(vault.Verify().IsClean);
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != Vault.LockFileName)
            .ToDictionary(f => f, f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
