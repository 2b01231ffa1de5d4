using System.Globalization;
using Dupa.Core.Crypto;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Retention;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Retention;

public sealed class RetentionTests
{
    private static readonly DeviceId Device = new(Enumerable.Repeat((byte)0xAA, 32).ToArray());
    private static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Plan_OnTwoYearsOfHourlyVersions_KeepsExactlyTheNewestOfEachBucket()
    {
        // One version every hour, with random gaps, for two years: 17,000-odd versions of one file.
        var random = new SeededRandom(31);
        var times = new List<DateTimeOffset>();
        for (var t = Start; t < Start.AddYears(2); t = t.AddHours(1))
        {
            if (random.Next(0, 10) > 0)
            {
                times.Add(t.AddMinutes(random.Next(0, 60)));
            }
        }
        var rule = new KeepRule { Prefix = "/docs", Last = 3, WithinDays = 2, Hourly = 5, Daily = 10, Weekly = 8, Monthly = 18, Yearly = 5 };
        var state = History("/docs/plan.txt", times, new RetentionPolicy { Rules = [rule] });
        var now = times[^1].AddHours(1);

        var plan = Forgetter.Plan(state, now);

        var kept = plan.Versions.Where(v => v.Keep).Select(v => v.Version.Time.WallMs).ToHashSet();
        var expected = ExpectedKept(times, rule, now);
        Assert.Equal(expected.Order(), kept.Order());
        Assert.Equal(times.Count, plan.Versions.Count);
        Assert.InRange(kept.Count, 40, 90); // about 44 within two days, plus the buckets further back
    }

    [Fact]
    public void Plan_RuleForAPrefix_LeavesOtherPathsAlone_AndTheLongestPrefixWins()
    {
        var times = Enumerable.Range(0, 30).Select(d => Start.AddDays(d)).ToList();
        var policy = new RetentionPolicy { Rules = [new KeepRule { Prefix = "/a", Last = 5 }, new KeepRule { Prefix = "/a/b", Last = 2 }] };
        var entries = new List<FoldEntry>();
        long sequence = 0;
        entries.Add(Entry(++sequence, Start.AddDays(-1), new PolicyOp(policy)));
        foreach (var time in times)
        {
            entries.Add(Entry(++sequence, time, Put("/a/x"), Put("/a/b/y"), Put("/c/z")));
        }
        var plan = Forgetter.Plan(VaultState.Fold(entries), Start.AddDays(40));

        Assert.Equal(5, plan.Versions.Count(v => v.Path == "/a/x" && v.Keep));
        Assert.Equal(2, plan.Versions.Count(v => v.Path == "/a/b/y" && v.Keep));
        Assert.DoesNotContain(plan.Versions, v => v.Path == "/c/z");
    }

    [Fact]
    public async Task Forget_ThenGc_DropsOldVersions_ShrinksTheStore_AndEveryKeptVersionRestores()
    {
        var clock = new FakeTimeProvider(Start);
        using var vault = new TestVault(time: clock);
        var random = new SeededRandom(5);
        var contents = new Dictionary<OpRef, byte[]>();
        using (var opened = vault.Open(writable: true))
        {
            PolicyCommands.SetPolicy(opened, new RetentionPolicy { Rules = [new KeepRule { Daily = 7, Weekly = 4, Monthly = 6 }] });
            // A version a day for a year, each 20 KiB of fresh bytes.
            for (var day = 0; day < 365; day++)
            {
                var content = random.NextBytes(20_000);
                var version = await ContentWriter.PutAsync(opened, "/journal.bin", new MemoryStream(content), clock.GetUtcNow());
                contents[version.Ref] = content;
                clock.Advance(TimeSpan.FromDays(1));
            }
        }
        var before = StoreBytes(vault.Directory);
        using (var opened = vault.Open(writable: true))
        {
            var plan = Forgetter.Plan(opened.State, clock.GetUtcNow());
            var dry = new GarbageCollector(opened).Run(dryRun: true);
            Assert.Equal(0, dry.PacksDeleted + dry.PacksRepacked);
            var result = Forgetter.Apply(opened, plan);
            // 7 daily + 4 weekly + 6 monthly, overlapping: between 7 and 17 kept, the rest forgotten.
            var kept = opened.State.Get("/journal.bin")!.Versions.Count;
            Assert.InRange(kept, 7, 17);
            Assert.Equal(365 - kept, result.VersionsForgotten);
            var gc = new GarbageCollector(opened).Run(dryRun: false);
            Assert.True(gc.BytesFreed > 0);
        }
        var after = StoreBytes(vault.Directory);
        Assert.True(after < before / 5, $"store {before} -> {after} bytes");
        Assert.True(vault.Verify().IsClean, string.Join("\n", vault.Verify().Problems));
        using (var opened = vault.Open())
        {
            var node = opened.State.Get("/journal.bin")!;
            foreach (var version in node.Versions)
            {
                using var stream = opened.OpenRead(version);
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                Assert.Equal(contents[version.Ref], memory.ToArray());
            }
        }
        using (var opened = vault.Open(writable: true))
        {
            var again = new GarbageCollector(opened).Run(dryRun: false);
            Assert.Equal(0, again.BytesFreed);
        }
    }

    [Fact]
    public void Gc_RepacksAPackThatIsMostlyGarbage_AndDeletesOneThatIsAllGarbage()
    {
        using var vault = new TestVault();
        var keep = PutOneFileAndPurgeALargerOne(vault, seed: 6);
        using (var opened = vault.Open(writable: true))
        {
            var packs = opened.Index.Packs().Count;
            var result = new GarbageCollector(opened).Run(dryRun: false);
            Assert.Equal(1, result.PacksRepacked);
            Assert.Equal(1, result.PacksWritten);
            Assert.True(result.BytesFreed > 550_000, $"{result.BytesFreed}");
            Assert.Equal(packs, opened.Index.Packs().Count);
        }
        Assert.True(vault.Verify().IsClean);
        Assert.Equal(keep, vault.ReadFile("/source/keep.bin"));
        Assert.Empty(vault.Verify().Notes);
    }

    [Fact]
    public void Gc_AfterAGcStoppedBeforeItsCommit_KeepsThePackItWritesAgainUnderTheSameName()
    {
        // Found by the CLI's random-kill test: gc copies sealed chunks as they are, so a gc run again writes the pack
        // the stopped one left, byte for byte, under the same name; deleting the stopped run's strays then deleted it.
        using var vault = new TestVault();
        var keep = PutOneFileAndPurgeALargerOne(vault, seed: 8);
        var before = Path.Combine(Path.GetDirectoryName(vault.Directory)!, "before-gc");
        DirectoryCopy.Copy(vault.Directory, before);
        var packsBefore = PackFiles(vault.Directory).Select(Path.GetFileName).ToHashSet();
        using (var opened = vault.Open(writable: true))
        {
            Assert.Equal(1, new GarbageCollector(opened).Run(dryRun: false).PacksWritten);
        }
        var writtenByGc = PackFiles(vault.Directory).Where(f => !packsBefore.Contains(Path.GetFileName(f))).ToDictionary(f => Path.GetRelativePath(vault.Directory, f), File.ReadAllBytes);
        Assert.Single(writtenByGc);

        // The vault as it was before that gc, with what a gc stopped just before its commit leaves: its new pack.
        Directory.Delete(vault.Directory, recursive: true);
        DirectoryCopy.Copy(before, vault.Directory);
        foreach (var (relative, bytes) in writtenByGc)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(vault.Directory, relative))!);
            File.WriteAllBytes(Path.Combine(vault.Directory, relative), bytes);
        }
        using (var opened = vault.Open(writable: true))
        {
            var result = new GarbageCollector(opened).Run(dryRun: false);
            Assert.Equal(1, result.PacksWritten);
            Assert.Equal(0, result.StrayFilesDeleted);
        }
        Assert.True(vault.Verify().IsClean);
        Assert.Equal(keep, vault.ReadFile("/source/keep.bin"));
    }

    /// <summary>
    /// Puts /source/keep.bin (100 KB, returned) and /source/drop.bin (600 KB) into one pack, then deletes and purges
    /// drop.bin: a pack that is mostly garbage, which gc repacks.
    /// </summary>
    private static byte[] PutOneFileAndPurgeALargerOne(TestVault vault, ulong seed)
    {
        var random = new SeededRandom(seed);
        var keep = random.NextBytes(100_000);
        vault.WriteSource("keep.bin", keep);
        vault.WriteSource("drop.bin", random.NextBytes(600_000));
        vault.Put(vault.Source);
        using var opened = vault.Open(writable: true);
        TrashCommands.Remove(opened, "/source/drop.bin");
        TrashCommands.Purge(opened, [.. opened.State.Trash]);
        return keep;
    }

    private static List<string> PackFiles(string vaultDirectory) =>
        [.. Directory.EnumerateFiles(Path.Combine(vaultDirectory, "packs"), "*.pack", SearchOption.AllDirectories)];

    [Fact]
    public void Gc_RemovesStrayPacksLeftByACrash_AndNeverAPackThatIsNeeded()
    {
        using var vault = new TestVault();
        var content = new SeededRandom(7).NextBytes(50_000);
        vault.Put(vault.WriteSource("a.bin", content));
        // A pack written but never indexed: what a crash between the pack's fsync and the index leaves.
        var stray = Path.Combine(vault.Directory, "packs", "ab", new string('a', 64) + ".pack");
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        File.WriteAllBytes(stray, new byte[1000]);
        using (var opened = vault.Open(writable: true))
        {
            var result = new GarbageCollector(opened).Run(dryRun: false);
            Assert.Equal(1, result.StrayFilesDeleted);
        }
        Assert.False(File.Exists(stray));
        Assert.Equal(content, vault.ReadFile("/a.bin"));
        Assert.True(vault.Verify().IsClean);
    }

    [Fact]
    public async Task Trash_IsPurgedByAgeOnly_AfterThePolicysPeriod()
    {
        var clock = new FakeTimeProvider(Start);
        using var vault = new TestVault(time: clock);
        vault.Put(vault.WriteSource("old.txt", "old"u8.ToArray()));
        using var opened = vault.Open(writable: true);
        TrashCommands.Remove(opened, "/old.txt");
        clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, Forgetter.ExpireTrash(opened));
        Assert.Single(opened.State.Trash);
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, Forgetter.ExpireTrash(opened));
        Assert.Empty(opened.State.Trash);

        // A trash period of 0 keeps the trash until it is emptied by hand.
        PolicyCommands.SetPolicy(opened, new RetentionPolicy { TrashDays = 0 });
        await ContentWriter.PutAsync(opened, "/new.txt", new MemoryStream([1]), clock.GetUtcNow());
        TrashCommands.Remove(opened, "/new.txt");
        clock.Advance(TimeSpan.FromDays(3650));
        Assert.Equal(0, Forgetter.ExpireTrash(opened));
        Assert.Single(opened.State.Trash);
    }

    [Fact]
    public async Task StateAt_AfterForget_ShowsOnlyWhatWasKept()
    {
        var clock = new FakeTimeProvider(Start);
        using var vault = new TestVault(time: clock);
        using var opened = vault.Open(writable: true);
        for (var day = 0; day < 10; day++)
        {
            await ContentWriter.PutAsync(opened, "/f.txt", new MemoryStream([(byte)day]), clock.GetUtcNow());
            clock.Advance(TimeSpan.FromDays(1));
        }
        PolicyCommands.SetPolicy(opened, new RetentionPolicy { Rules = [new KeepRule { Last = 3 }] });
        Forgetter.Apply(opened, Forgetter.Plan(opened.State, clock.GetUtcNow()));

        Assert.Null(opened.StateAt(Start.AddDays(2).AddHours(1)).Get("/f.txt"));
        var past = opened.StateAt(Start.AddDays(8).AddHours(1)).Get("/f.txt")!;
        Assert.Equal(2, past.Versions.Count);
        using var stream = opened.OpenRead(past.Current);
        Assert.Equal(8, stream.ReadByte());
    }

    private static HashSet<long> ExpectedKept(List<DateTimeOffset> times, KeepRule rule, DateTimeOffset now)
    {
        // An independent statement of the rule: for each bucket kind, the newest version of each of the N most
        // recent periods that have a version.
        var newestFirst = times.OrderByDescending(t => t).ToList();
        var kept = new HashSet<long> { newestFirst[0].ToUnixTimeMilliseconds() };
        kept.UnionWith(newestFirst.Take(rule.Last).Select(t => t.ToUnixTimeMilliseconds()));
        kept.UnionWith(newestFirst.Where(t => t >= now.AddDays(-rule.WithinDays)).Select(t => t.ToUnixTimeMilliseconds()));
        void Periods(int count, Func<DateTimeOffset, string> period) =>
            kept.UnionWith(newestFirst.GroupBy(period).Take(count).Select(g => g.Max().ToUnixTimeMilliseconds()));
        Periods(rule.Hourly, t => t.ToString("yyyyMMddHH", CultureInfo.InvariantCulture));
        Periods(rule.Daily, t => t.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        Periods(rule.Weekly, t => $"{ISOWeek.GetYear(t.UtcDateTime)}/{ISOWeek.GetWeekOfYear(t.UtcDateTime)}");
        Periods(rule.Monthly, t => t.ToString("yyyyMM", CultureInfo.InvariantCulture));
        Periods(rule.Yearly, t => t.Year.ToString(CultureInfo.InvariantCulture));
        return kept;
    }

    private static VaultState History(string path, List<DateTimeOffset> times, RetentionPolicy policy)
    {
        var entries = new List<FoldEntry> { Entry(1, times[0].AddDays(-1), new PolicyOp(policy)) };
        entries.AddRange(times.Select((t, i) => Entry(i + 2, t, Put(path))));
        return VaultState.Fold(entries);
    }

    private static PutOp Put(string path) => new(path, NodeType.File, 1, 0, 0x1A4) { Chunks = [] };

    private static FoldEntry Entry(long sequence, DateTimeOffset time, params Operation[] ops) =>
        new(Device, sequence, new Hlc(time.ToUnixTimeMilliseconds(), 0), ops);

    private static long StoreBytes(string directory) =>
        Directory.EnumerateFiles(Path.Combine(directory, "packs"), "*.pack", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
