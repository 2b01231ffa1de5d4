using Dupa.Core.Chunking;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Tests.Support;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

public sealed class RoundTripTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(16384)]
    [InlineData(16385)]
    [InlineData(3 * 16384)]
    [InlineData(2_000_003)]
    public void PutThenRead_FileOfSize_ComesBackBitIdentical(int size)
    {
        using var vault = new TestVault();
        var content = new SeededRandom((ulong)size).NextBytes(size);
        vault.Put(vault.WriteSource("f.bin", content));

        Assert.Equal(content, vault.ReadFile("/f.bin"));
        Assert.True(vault.Verify().IsClean);
    }

    [Fact]
    public void PutThenRead_RandomDataAndChunkerParameters_RoundTrips()
    {
        var random = new SeededRandom(20261122);
        for (var trial = 0; trial < 12; trial++)
        {
            var average = 1 << random.Next(10, 15);
            var options = TestVault.CheapOptions with { Chunker = new ChunkerParameters(average / 4, average, average * 4) };
            using var vault = new TestVault(options);
            var files = new Dictionary<string, byte[]>();
            for (var i = 0; i < 5; i++)
            {
                var content = random.NextBytes(random.Next(0, 200_000));
                // Half the files are compressible: runs of a few distinct bytes.
                if (i % 2 == 0)
                {
                    for (var j = 0; j < content.Length; j++)
                    {
                        content[j] = (byte)('a' + (content[j] % 4));
                    }
                }
                files[$"/src/f{i}.bin"] = content;
                vault.WriteSource($"f{i}.bin", content);
            }
            vault.Put(vault.Source, "/");
            using var opened = vault.Open();
            foreach (var (path, content) in files)
            {
                var node = opened.State.Get("/source" + path[4..]);
                Assert.NotNull(node);
                using var stream = opened.OpenRead(node.Current);
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                Assert.True(content.AsSpan().SequenceEqual(memory.ToArray()), $"seed {random.Seed}, trial {trial}, {path}");
            }
        }
    }

    [Fact]
    public async Task PutThenGet_DirectoryTree_KeepsModesMtimesSymlinksAndEmptyDirectories()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(7);
        vault.WriteSource("Photos/2024/a.jpg", random.NextBytes(50_000));
        vault.WriteSource("Photos/b.txt", "hello"u8.ToArray());
        Directory.CreateDirectory(Path.Combine(vault.Source, "Photos", "empty"));
        File.CreateSymbolicLink(Path.Combine(vault.Source, "Photos", "link"), "b.txt");
        var script = vault.WriteSource("Photos/run.sh", "#!/bin/sh\n"u8.ToArray());
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var mtime = new DateTime(2020, 5, 17, 10, 30, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(vault.Source, "Photos", "b.txt"), mtime);

        vault.Put(Path.Combine(vault.Source, "Photos"));
        using (var opened = vault.Open())
        {
            Assert.Equal(["2024", "b.txt", "empty", "link", "run.sh"], opened.State.Children("/Photos").Select(n => n.Name));
            await new FileExporter(opened).ExportAsync(opened.State.Subtree("/Photos"), vault.Restore);
        }

        var restored = Path.Combine(vault.Restore, "Photos");
        Assert.Equal(File.ReadAllBytes(Path.Combine(vault.Source, "Photos/2024/a.jpg")), File.ReadAllBytes(Path.Combine(restored, "2024/a.jpg")));
        Assert.True(Directory.Exists(Path.Combine(restored, "empty")));
        Assert.Equal("b.txt", new FileInfo(Path.Combine(restored, "link")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(restored, "run.sh")));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(Path.Combine(restored, "b.txt")));
    }

    [Fact]
    public async Task Get_ModesTheUmaskKeepsAndTakes_AreRestoredExactly()
    {
        using var vault = new TestVault();
        // 0640 and 0444 survive any usual umask; 0666 and 0777 lose bits to a umask of 022; 04755 has a set-ID bit.
        var modes = new[] { 0x1A0, 0x124, 0x1B6, 0x1FF, 0x9ED };
        foreach (var mode in modes)
        {
            var path = vault.WriteSource($"modes/m{mode:x}", [1, 2, 3]);
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
        vault.Put(Path.Combine(vault.Source, "modes"));
        using (var opened = vault.Open())
        {
            await new FileExporter(opened).ExportAsync(opened.State.Subtree("/modes"), vault.Restore);
        }

        foreach (var mode in modes)
        {
            var restored = Path.Combine(vault.Restore, "modes", $"m{mode:x}");
            Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(restored));
            Assert.Equal([1, 2, 3], File.ReadAllBytes(restored));
        }
    }

    [Fact]
    public async Task Get_ManySmallAndLargeFilesOnFourWorkers_RestoresEveryByteAndLeavesNoTemporaryFile()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(41);
        var originals = new Dictionary<string, byte[]>();
        for (var i = 0; i < 120; i++)
        {
            // Small files, empty ones, a few of hundreds of chunks each (the test vault's chunks are 1–16 KiB), and one
            // larger than a worker's run of pieces, so that several workers write it at once.
            var size = i == 0 ? 5_000_000 : i % 40 == 0 ? random.Next(400_000, 900_000) : i % 13 == 0 ? 0 : random.Next(1, 20_000);
            var relative = $"tree/d{i % 7}/f{i}.bin";
            originals[relative] = random.NextBytes(size);
            vault.WriteSource(relative, originals[relative]);
        }
        vault.Put(Path.Combine(vault.Source, "tree"));

        using (var opened = vault.Open())
        {
            var result = await new FileExporter(opened) { Parallelism = 4 }.ExportAsync(opened.State.Subtree("/tree"), vault.Restore);
            Assert.Equal(originals.Count, result.Files);
            Assert.Equal(originals.Values.Sum(c => (long)c.Length), result.Bytes);
        }

        foreach (var (relative, content) in originals)
        {
            Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(vault.Restore, relative))), relative);
        }
        Assert.Equal(originals.Count, Directory.EnumerateFiles(vault.Restore, "*", SearchOption.AllDirectories).Count());
        AssertNothingTemporaryLeft(vault.Restore);
    }

    [Fact]
    public async Task Get_DirectoryNotThereYet_AppearsOnlyOnceEveryFileInItIsWritten()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(59);
        for (var i = 0; i < 30; i++)
        {
            vault.WriteSource($"tree/d{i % 3}/f{i}.bin", random.NextBytes(random.Next(1, 50_000)));
        }
        // A read-only subdirectory, and known mtimes: both are set on the directories' final names, after the rename.
        var readOnly = Path.Combine(vault.Source, "tree", "d1");
        var mtime = new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        foreach (var directory in new[] { readOnly, Path.Combine(vault.Source, "tree") })
        {
            Directory.SetLastWriteTimeUtc(directory, mtime);
        }
        File.SetUnixFileMode(readOnly, (UnixFileMode)0x16D);
        vault.Put(Path.Combine(vault.Source, "tree"));

        var seenEarly = 0;
        using (var opened = vault.Open())
        {
            var exporter = new FileExporter(opened, new InlineProgress(_ =>
            {
                if (Path.Exists(Path.Combine(vault.Restore, "tree")))
                {
                    Interlocked.Increment(ref seenEarly);
                }
            }))
            { Parallelism = 2 };
            await exporter.ExportAsync(opened.State.Subtree("/tree"), vault.Restore);
        }

        // Staged on Linux (renameat2 refuses to replace); elsewhere each file is renamed into place as it is finished.
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, seenEarly);
        }
        Assert.Equal(30, Directory.EnumerateFiles(Path.Combine(vault.Restore, "tree"), "*", SearchOption.AllDirectories).Count());
        AssertNothingTemporaryLeft(vault.Restore);
        Assert.Equal((UnixFileMode)0x16D, File.GetUnixFileMode(Path.Combine(vault.Restore, "tree", "d1")));
        Assert.Equal(mtime, Directory.GetLastWriteTimeUtc(Path.Combine(vault.Restore, "tree", "d1")));
        Assert.Equal(mtime, Directory.GetLastWriteTimeUtc(Path.Combine(vault.Restore, "tree")));
    }

    [Fact]
    public async Task Get_ADirectoryMadeAtTheTargetWhileRestoring_IsLeftAlone_AndTheRestoredCopyIsNamed()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var vault = new TestVault();
        var random = new SeededRandom(61);
        for (var i = 0; i < 10; i++)
        {
            vault.WriteSource($"tree/f{i}.bin", random.NextBytes(random.Next(1, 20_000)));
        }
        vault.Put(Path.Combine(vault.Source, "tree"));

        var target = Path.Combine(vault.Restore, "tree");
        using (var opened = vault.Open())
        {
            // Someone makes the directory, with a file of their own, once the restore has begun.
            var exporter = new FileExporter(opened, new InlineProgress(_ =>
            {
                if (!Directory.Exists(target))
                {
                    Directory.CreateDirectory(target);
                    File.WriteAllText(Path.Combine(target, "theirs.txt"), "theirs");
                }
            }))
            { Parallelism = 1 };
            var error = await Assert.ThrowsAsync<Errors.DupaException>(() => exporter.ExportAsync(opened.State.Subtree("/tree"), vault.Restore));
            Assert.Contains("appeared while it was being restored", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(["theirs.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
        var copy = Assert.Single(Directory.EnumerateDirectories(vault.Restore, ".tree.dupa-*.tmp"));
        Assert.Equal(10, Directory.EnumerateFiles(copy).Count());
    }

    [Fact]
    public async Task Get_NamesOfTheLongestLength_AreRestored_IntoANewDirectoryAndAnExistingOne()
    {
        using var vault = new TestVault();
        var longName = new string('n', 250);
        vault.WriteSource($"long/{longName}/{longName}", [1, 2, 3]);
        vault.Put(Path.Combine(vault.Source, "long"));

        // Twice: first every directory is new, then they are there and the file takes a temporary name of its own.
        for (var round = 0; round < 2; round++)
        {
            using var opened = vault.Open();
            await new FileExporter(opened).ExportAsync(opened.State.Subtree("/long"), vault.Restore);
            Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(vault.Restore, "long", longName, longName)));
        }
        AssertNothingTemporaryLeft(vault.Restore);
    }

    /// <summary>No staging directory and no temporary name is left in <paramref name="directory"/>.</summary>
    private static void AssertNothingTemporaryLeft(string directory) =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory, "*.tmp", SearchOption.AllDirectories));

    [Fact]
    public async Task Get_CancelledPartWay_LeavesOnlyWholeFilesUnderTheirNames()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(53);
        var originals = new Dictionary<string, byte[]>();
        for (var i = 0; i < 60; i++)
        {
            var relative = $"tree/d{i % 5}/f{i}.bin";
            originals[relative] = random.NextBytes(i % 20 == 0 ? random.Next(300_000, 600_000) : random.Next(1, 20_000));
            vault.WriteSource(relative, originals[relative]);
        }
        vault.Put(Path.Combine(vault.Source, "tree"));

        using var stop = new CancellationTokenSource();
        using (var opened = vault.Open())
        {
            // Cancelled at the fifth piece written, while the workers are inside files of several chunks.
            var pieces = 0;
            var exporter = new FileExporter(opened, new InlineProgress(_ =>
            {
                if (Interlocked.Increment(ref pieces) == 5)
                {
                    stop.Cancel();
                }
            }))
            { Parallelism = 2 };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exporter.ExportAsync(opened.State.Subtree("/tree"), vault.Restore, cancellationToken: stop.Token));
        }

        var left = Directory.EnumerateFiles(vault.Restore, "*", SearchOption.AllDirectories).ToList();
        Assert.True(left.Count < originals.Count);
        foreach (var path in left)
        {
            var relative = Path.GetRelativePath(vault.Restore, path).Replace(Path.DirectorySeparatorChar, '/');
            Assert.True(originals.TryGetValue(relative, out var content), $"{relative} is not a restored file's name");
            Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(path)), relative);
        }
        AssertNothingTemporaryLeft(vault.Restore);
    }

    private sealed class InlineProgress(Action<GetProgress> report) : IProgress<GetProgress>
    {
        public void Report(GetProgress value) => report(value);
    }

    [Fact]
    public async Task Get_OverAnEarlierRestore_ReplacesChangedFilesAddsNewOnesAndKeepsModesAndMtimes()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(47);
        vault.WriteSource("tree/same.txt", random.NextBytes(5_000));
        vault.WriteSource("tree/changed.bin", random.NextBytes(70_000));
        vault.Put(Path.Combine(vault.Source, "tree"));
        using (var opened = vault.Open())
        {
            await new FileExporter(opened).ExportAsync(opened.State.Subtree("/tree"), vault.Restore);
        }
        var changed = vault.WriteSource("tree/changed.bin", random.NextBytes(3_000));
        File.SetUnixFileMode(changed, UnixFileMode.UserRead);
        var mtime = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(changed, mtime);
        vault.WriteSource("tree/new/added.txt", random.NextBytes(9_000));
        vault.Put(Path.Combine(vault.Source, "tree"));

        using (var opened = vault.Open())
        {
            var result = await new FileExporter(opened).ExportAsync(opened.State.Subtree("/tree"), vault.Restore);
            Assert.Equal(3, result.Files);
        }

        foreach (var relative in new[] { "same.txt", "changed.bin", "new/added.txt" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(vault.Source, "tree", relative)), File.ReadAllBytes(Path.Combine(vault.Restore, "tree", relative)));
        }
        var restored = Path.Combine(vault.Restore, "tree", "changed.bin");
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(restored));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(restored));
        Assert.Equal(3, Directory.EnumerateFiles(vault.Restore, "*", SearchOption.AllDirectories).Count());
        AssertNothingTemporaryLeft(vault.Restore);
    }

    [Fact]
    public async Task Get_OneChunkDamagedAmongManyFiles_FailsAndLeavesNoPartOfThatFile()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(43);
        for (var i = 0; i < 40; i++)
        {
            vault.WriteSource($"tree/f{i:D2}.bin", random.NextBytes(random.Next(30_000, 200_000)));
        }
        vault.Put(Path.Combine(vault.Source, "tree"));
        // Flip a byte in the middle of every pack: several files lose a chunk, wherever the workers are.
        foreach (var pack in Directory.EnumerateFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(pack);
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(pack, bytes);
        }

        using (var opened = vault.Open())
        {
            await Assert.ThrowsAsync<Errors.IntegrityException>(() => new FileExporter(opened) { Parallelism = 4 }.ExportAsync(opened.State.Subtree("/tree"), vault.Restore));
        }

        // Whatever was restored is whole and right; nothing half-written is left, under its name or a temporary one.
        foreach (var restored in Directory.EnumerateFiles(vault.Restore, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(restored);
            Assert.False(name.EndsWith(".tmp", StringComparison.Ordinal), $"temporary file {name} left behind");
            Assert.Equal(File.ReadAllBytes(Path.Combine(vault.Source, "tree", name)), File.ReadAllBytes(restored));
        }
        AssertNothingTemporaryLeft(vault.Restore);
    }

    [Fact]
    public void Put_UnchangedSecondTime_AppendsNothingAndReadsNothing()
    {
        using var vault = new TestVault();
        vault.WriteSource("docs/a.txt", new SeededRandom(1).NextBytes(100_000));
        vault.WriteSource("docs/b.txt", new SeededRandom(2).NextBytes(100));
        var first = vault.Put(vault.Source);
        int entries;
        using (var opened = vault.Open())
        {
            entries = opened.Entries.Count;
        }

        var second = vault.Put(vault.Source);

        Assert.Equal(2, first.FilesAdded);
        Assert.Equal(2, second.FilesUnchanged);
        Assert.Equal(0, second.ChunksAdded);
        using var reopened = vault.Open();
        Assert.Equal(entries, reopened.Entries.Count);
    }

    [Fact]
    public void AnOpenVault_KeepsEachLogsLastEntryAndLength_NotEveryEntrysBytes()
    {
        using var vault = new TestVault();
        vault.WriteSource("a.txt", "first"u8.ToArray());
        vault.Put(vault.Source);
        vault.WriteSource("b.txt", "second"u8.ToArray());
        vault.Put(vault.Source);

        using var opened = vault.Open();

        var log = Assert.Single(opened.Logs);
        var logFile = Path.Combine(vault.Directory, Core.Manifest.LogFile.RelativePath(log.Device));
        Assert.Equal(new FileInfo(logFile).Length, log.CompleteLength);
        Assert.Equal(0, log.TornTailBytes);
        var last = opened.Entries.Where(e => e.Device == log.Device).Max(e => e.Sequence);
        Assert.Equal(last, log.Last!.Sequence);
        Assert.Equal(opened.Index.LogHeads()[log.Device].Hash, log.Last.Hash);
        Assert.Empty(new Core.Vaults.Verifier(opened).Run(quick: true).Problems);
    }

    [Fact]
    public async Task ReleasedState_IsReadAndFoldedAgainOnUse_AndEveryEntryCountsOnce()
    {
        using var vault = new TestVault();
        vault.Put(vault.WriteSource("a.txt", "first"u8.ToArray()));
        using var opened = vault.Open(writable: true);
        var before = Convert.ToHexString(opened.State.ComputeHash());
        var entries = opened.Entries.Count;

        opened.ReleaseState();

        Assert.False(opened.HoldsState);
        Assert.Equal(entries, opened.Entries.Count);
        Assert.Equal(before, Convert.ToHexString(opened.State.ComputeHash()));

        // Not while an entry is being appended: it is taken in once, as it is written.
        opened.BeginAppend([new PutOp("/docs", NodeType.Directory, 0, 1_700_000_000_000_000_000, 0x1ED)]);
        opened.ReleaseState();
        Assert.True(opened.HoldsState);
        _ = opened.EndAppend();
        Assert.Equal(entries + 1, opened.Entries.Count);
        Assert.Equal(["/a.txt", "/docs"], opened.State.Subtree("/").Where(n => n.Path != "/").Select(n => n.Path).Order(StringComparer.Ordinal).ToList());

        // A put after a release reads the entries and folds the state again first, then applies its own as it writes.
        opened.ReleaseState();
        await new FileImporter(opened).ImportAsync([vault.WriteSource("b.txt", "second"u8.ToArray())], "/docs");
        Assert.True(opened.HoldsState);
        Assert.NotNull(opened.State.Get("/docs/b.txt"));
        var afterPut = Convert.ToHexString(opened.State.ComputeHash());
        Assert.Equal(afterPut, Convert.ToHexString(VaultState.Fold(opened.Entries).ComputeHash()));
        opened.ReleaseState();
        Assert.Equal(afterPut, Convert.ToHexString(opened.State.ComputeHash()));
        Assert.Equal(opened.Entries.Count, opened.Entries.Select(e => (e.Device, e.Sequence)).Distinct().Count());
        opened.Dispose();
        using var reopened = vault.Open();
        Assert.Equal(afterPut, Convert.ToHexString(reopened.State.ComputeHash()));
    }

    [Fact]
    public void ReleasedState_ALogDamagedMeanwhile_IsReportedWhenReadAgain_NotFolded()
    {
        using var vault = new TestVault();
        vault.Put(vault.WriteSource("a.txt", "first"u8.ToArray()));
        vault.Put(vault.WriteSource("b.txt", "second"u8.ToArray()));
        using var opened = vault.Open(writable: true);
        Assert.NotNull(opened.State.Get("/b.txt"));
        var log = Path.Combine(vault.Directory, LogFile.RelativePath(opened.Device!.Id));

        opened.ReleaseState();
        FileDamage.Flip(log, 40);

        Assert.Throws<IntegrityException>(() => opened.State);
        Assert.Throws<IntegrityException>(() => opened.Entries);
        Assert.False(opened.HoldsState);
    }

    [Fact]
    public void Put_ChangedFile_AddsVersionAndKeepsTheOldOne()
    {
        using var vault = new TestVault();
        var path = vault.WriteSource("notes.txt", "first"u8.ToArray());
        vault.Put(path, "/docs");
        File.WriteAllBytes(path, "second, longer"u8.ToArray());
        File.SetLastWriteTimeUtc(path, new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var result = vault.Put(path, "/docs");

        Assert.Equal(1, result.FilesChanged);
        Assert.Equal("first"u8.ToArray(), vault.ReadFile("/docs/notes.txt", version: 1));
        Assert.Equal("second, longer"u8.ToArray(), vault.ReadFile("/docs/notes.txt"));
    }

    [Fact]
    public void Put_ExcludePatterns_SkipMatchingNamesAndPaths()
    {
        using var vault = new TestVault();
        vault.WriteSource("a.txt", [1]);
        vault.WriteSource("a.tmp", [2]);
        vault.WriteSource("cache/x/y.bin", [3]);
        vault.WriteSource("sub/cache.txt", [4]);
        vault.Put(vault.Source, "/", new PutOptions { Exclude = new PathFilter(["*.tmp", "cache/**"]) });

        using var opened = vault.Open();
        var paths = opened.State.Nodes.Where(n => n.Type == NodeType.File).Select(n => n.Path).Order(StringComparer.Ordinal);
        Assert.Equal(["/source/a.txt", "/source/sub/cache.txt"], paths);
    }

    [Fact]
    public void StateAt_BeforeSecondVersion_SeesTheFirst()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var vault = new TestVault(time: time);
        var path = vault.WriteSource("n.txt", "one"u8.ToArray());
        vault.Put(path);
        time.Advance(TimeSpan.FromHours(1));
        File.WriteAllBytes(path, "two!"u8.ToArray());
        File.SetLastWriteTimeUtc(path, new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        vault.Put(path);

        using var opened = vault.Open();
        var before = opened.StateAt(new DateTimeOffset(2026, 1, 1, 0, 30, 0, TimeSpan.Zero));
        Assert.Equal(3, before.Get("/n.txt")!.Current.Size);
        Assert.Equal(4, opened.State.Get("/n.txt")!.Current.Size);
        Assert.Null(opened.StateAt(new DateTimeOffset(2025, 12, 31, 0, 0, 0, TimeSpan.Zero)).Get("/n.txt"));
    }

    [Fact]
    public void Open_FilesOfAKnownType_ShareOneStringForIt_AndAnUnknownTypeIsKept()
    {
        using var vault = new TestVault();
        vault.WriteSource("a.txt", "one"u8.ToArray());
        vault.WriteSource("b.txt", "two"u8.ToArray());
        vault.Put(vault.Source);
        using (var writer = vault.Open(writable: true))
        {
            writer.Append([new PutOp("/odd", NodeType.File, 0, 0, 0x1A4) { Chunks = [], Mime = "application/x-odd" }]);
        }

        using var opened = vault.Open();

        Assert.Same(MediaType.Text, opened.State.Get("/source/a.txt")!.Current.Mime);
        Assert.Same(MediaType.Text, opened.State.Get("/source/b.txt")!.Current.Mime);
        Assert.Equal("application/x-odd", opened.State.Get("/odd")!.Current.Mime);
    }
}
