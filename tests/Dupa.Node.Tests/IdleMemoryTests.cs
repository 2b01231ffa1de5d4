namespace Dupa.Node.Tests;

public sealed class IdleMemoryTests
{
    private const long MiB = 1L << 20;
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(4);

    private long _allocated = 500 * MiB;
    private TimeSpan _cpu = TimeSpan.FromSeconds(3);
    private int _releases;

    private IdleMemory Start() => new(TimeProvider.System, Timeout.InfiniteTimeSpan, () => _allocated, () => _cpu, () => _releases++);

    /// <summary>One period of the node's life: what it allocated and the CPU time it used.</summary>
    private void Period(IdleMemory idle, long allocated, TimeSpan cpu)
    {
        _allocated += allocated;
        _cpu += cpu;
        idle.Check();
    }

    [Fact]
    public void ANodeLeftAlone_IsNeverCollectedForNothing()
    {
        using var idle = Start();
        for (var period = 0; period < 10; period++)
        {
            Period(idle, MiB, Idle);
        }
        Assert.Equal(0, _releases);
    }

    [Fact]
    public void AfterWork_MemoryIsReleasedOnceTheNodeIsQuiet_AndOnlyOnce()
    {
        using var idle = Start();
        Period(idle, 200 * MiB, Busy);
        Assert.Equal(0, _releases);

        Period(idle, MiB, Idle);
        Assert.Equal(1, _releases);
        Assert.Equal(1, idle.Releases);

        for (var period = 0; period < 5; period++)
        {
            Period(idle, MiB, Idle);
        }
        Assert.Equal(1, _releases);
    }

    [Fact]
    public void WhileWorkGoesOn_NothingIsReleased_EvenWhenItAllocatesLittle()
    {
        using var idle = Start();
        // A put of large files: its buffers are reused, so it allocates little, but it is busy.
        for (var period = 0; period < 10; period++)
        {
            Period(idle, 4 * MiB, Busy);
        }
        Assert.Equal(0, _releases);

        Period(idle, 0, Idle);
        Assert.Equal(1, _releases);
    }

    [Fact]
    public void SmallWorkAddsUp_UntilItIsWorthARelease()
    {
        using var idle = Start();
        var periods = 0;
        while (_releases == 0)
        {
            Period(idle, 3 * MiB, Idle);
            periods++;
        }
        // 32 MiB at 3 MiB a period: the eleventh period.
        Assert.Equal(11, periods);
    }

    [Fact]
    public void ReleasingTheProcessMemory_RunsAFullCollection()
    {
        var before = GC.CollectionCount(GC.MaxGeneration);
        Dupa.Core.Native.ProcessMemory.Release();
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > before);
    }

    [Fact]
    public void TheNodesRelease_LetsItsOwnCachesGoFirst_ThenCollects()
    {
        var collections = -1;
        var before = GC.CollectionCount(GC.MaxGeneration);

        IdleMemory.ReleaseAll(() => collections = GC.CollectionCount(GC.MaxGeneration))();

        // The node's own release ran before the full collection, so what it let go of is collected in the same release.
        Assert.Equal(before, collections);
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > before);
    }
}
