using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Retention;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Retention;

public sealed class WriteOnceTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task EveryWayToDestroyLockedData_FailsWithAClearError_AndLeavesTheData()
    {
        var clock = new FakeTimeProvider(Start);
        using var vault = new TestVault(time: clock);
        var contract = new SeededRandom(1).NextBytes(30_000);
        var first = "first"u8.ToArray();
        vault.WriteSource("legal/contract.pdf", first);
        vault.Put(Path.Combine(vault.Source, "legal"));
        File.WriteAllBytes(Path.Combine(vault.Source, "legal", "contract.pdf"), contract);
        clock.Advance(TimeSpan.FromMinutes(1));
        vault.Put(Path.Combine(vault.Source, "legal"));
        vault.Put(vault.WriteSource("legal-old.txt", "x"u8.ToArray()), "/legal");
        using var opened = vault.Open(writable: true);
        TrashCommands.Remove(opened, "/legal/legal-old.txt");
        PolicyCommands.Lock(opened, "/legal", Start.AddYears(1));
        var entriesBefore = opened.Entries.Count;

        void Refused(Action action)
        {
            var e = Assert.Throws<DupaException>(action);
            Assert.Equal(ErrorCode.WriteOnce, e.Code);
            Assert.Contains("write-once lock", e.Message, StringComparison.Ordinal);
        }
        Refused(() => TrashCommands.Remove(opened, "/legal/contract.pdf"));
        Refused(() => TrashCommands.Remove(opened, "/legal"));
        Refused(() => TrashCommands.Purge(opened, [.. opened.State.Trash]));
        Refused(() => FileCommands.Move(opened, "/legal/contract.pdf", "/elsewhere.pdf"));
        Refused(() => FileCommands.Move(opened, "/legal", "/illegal"));
        Refused(() => FileCommands.RestoreVersion(opened, "/legal/contract.pdf", 1));
        Refused(() => PolicyCommands.Lock(opened, "/legal", Start.AddDays(1)));
        var overwrite = await Assert.ThrowsAsync<DupaException>(() => ContentWriter.PutAsync(opened, "/legal/contract.pdf", new MemoryStream([0]), Start));
        Assert.Equal(ErrorCode.WriteOnce, overwrite.Code);
        Assert.Equal(entriesBefore, opened.Entries.Count);

        // put of a changed file under the lock reports the file and stores nothing.
        File.WriteAllBytes(Path.Combine(vault.Source, "legal", "contract.pdf"), "ransom"u8.ToArray());
        var put = await new FileImporter(opened).ImportAsync([Path.Combine(vault.Source, "legal")], "/");
        Assert.Contains(put.Errors, e => e.Contains("write-once lock", StringComparison.Ordinal));
        // New files under a locked prefix are fine: write once.
        await ContentWriter.PutAsync(opened, "/legal/new.pdf", new MemoryStream([7]), Start);

        // forget keeps locked versions whatever the policy says, and says why.
        PolicyCommands.SetPolicy(opened, new RetentionPolicy { TrashDays = 1, Rules = [new KeepRule { Last = 1 }] });
        clock.Advance(TimeSpan.FromDays(40));
        var plan = Forgetter.Plan(opened.State, clock.GetUtcNow());
        Assert.All(plan.Versions, v => Assert.True(v.Keep));
        Assert.Contains(plan.Versions, v => v.KeptBecause.Any(r => r.StartsWith("write-once lock", StringComparison.Ordinal)));
        Assert.All(plan.Trash, t => Assert.False(t.Purge));
        Forgetter.Apply(opened, plan);

        // Operations written around the commands (a buggy or hostile client with the key) are refused by the
        // fold itself, the same way on every device; and a shorter lock does not shorten the lock.
        opened.Append([
            new LockOp("/legal", Start.AddDays(2).ToUnixTimeMilliseconds()),
            new ForgetOp([opened.State.Get("/legal/contract.pdf")!.Versions[0].Ref.ToString()]),
            new PurgeOp(opened.State.Trash.Single().Id.ToString()),
            new TrashOp("/legal/contract.pdf"),
            new MoveOp("/legal", "/gone"),
            new PutOp("/legal/contract.pdf", NodeType.File, 0, 0, 0x1A4) { Chunks = [] },
        ]);
        Assert.Equal(Start.AddYears(1).ToUnixTimeMilliseconds(), opened.State.Locks["/legal"]);
        Assert.Equal(5, opened.State.Problems.Count);
        new GarbageCollector(opened).Run(dryRun: false);

        var node = opened.State.Get("/legal/contract.pdf")!;
        Assert.Equal(2, node.Versions.Count);
        Assert.Equal(first, await ReadAll(opened, node.Versions[0]));
        Assert.Equal(contract, await ReadAll(opened, node.Versions[1]));
        Assert.Single(opened.State.Trash);

        // Once the date has passed, the data is ordinary again.
        clock.Advance(TimeSpan.FromDays(366));
        TrashCommands.Remove(opened, "/legal/contract.pdf");
        Assert.Null(opened.State.Get("/legal/contract.pdf"));
    }

    [Fact]
    public void ALockOnTheWholeVault_ProtectsEverything_AndCanBeExtended()
    {
        var clock = new FakeTimeProvider(Start);
        using var vault = new TestVault(time: clock);
        vault.Put(vault.WriteSource("a.txt", [1]));
        using var opened = vault.Open(writable: true);
        PolicyCommands.Lock(opened, "/", Start.AddDays(10));
        Assert.Equal(Start.AddDays(20), PolicyCommands.Lock(opened, "/", Start.AddDays(20)));
        clock.Advance(TimeSpan.FromDays(15));
        var e = Assert.Throws<DupaException>(() => TrashCommands.Remove(opened, "/a.txt"));
        Assert.Equal(ErrorCode.WriteOnce, e.Code);
    }

    private static async Task<byte[]> ReadAll(Vault vault, FileVersion version)
    {
        await using var stream = vault.OpenRead(version);
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }
}
