using Dupa.Core.Native;

namespace Dupa.Node;

/// <summary>
/// Hands memory back to the system once <c>dupa serve</c> has gone quiet after real work
/// (<see cref="ProcessMemory.Release"/>). A node kept what a large put had allocated until it was restarted: after a
/// remote put of the 1.1 GiB benchmark corpus, 144–149 MiB resident while idle, against 52–54 MiB before it.
/// Every <see cref="Period"/>: the node is quiet when it used less than <see cref="QuietCpu"/> of CPU time in the
/// last one (allocations alone do not tell: a put of large files reuses its buffers and allocates little), and it
/// has worked when it allocated at least <see cref="WorkBytes"/> since the last release, so that a node left alone
/// does not collect over and over for nothing. A transfer slow enough to use under 100 ms of CPU in 5 s (a few MiB/s)
/// counts as quiet: it then pays a full collection, tens of milliseconds, for every 32 MiB it allocates.
/// </summary>
public sealed class IdleMemory : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>Less CPU time than this in a period (2 % of a core): the node is idle. Its timers and peers' checks use far less.</summary>
    public static readonly TimeSpan QuietCpu = TimeSpan.FromMilliseconds(100);

    /// <summary>At least this allocated since the last release: enough work to have left memory behind.</summary>
    public const long WorkBytes = 32L << 20;

    private readonly Func<long> _allocatedBytes;
    private readonly Func<TimeSpan> _cpuTime;
    private readonly Action _release;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private TimeSpan _lastCpu;
    private long _allocatedAtRelease;

    /// <summary>Checks every <see cref="Period"/>; a release first runs <paramref name="releaseOwn"/> (what the node itself can let go of, such as its vaults' caches), then <see cref="ProcessMemory.Release"/>.</summary>
    public IdleMemory(TimeProvider time, Action? releaseOwn = null)
        : this(time, Period, () => GC.GetTotalAllocatedBytes(), () => Environment.CpuUsage.TotalTime, ReleaseAll(releaseOwn))
    {
    }

    /// <summary>A release: <paramref name="releaseOwn"/> first, then <see cref="ProcessMemory.Release"/>, which hands back what it freed.</summary>
    internal static Action ReleaseAll(Action? releaseOwn) => () =>
    {
        releaseOwn?.Invoke();
        ProcessMemory.Release();
    };

    /// <summary>
    /// For tests: how often to check (<see cref="Timeout.InfiniteTimeSpan"/>: only when <see cref="Check"/> is called),
    /// what counts as allocated and as CPU time used, and what a release does.
    /// </summary>
    internal IdleMemory(TimeProvider time, TimeSpan period, Func<long> allocatedBytes, Func<TimeSpan> cpuTime, Action release)
    {
        _allocatedBytes = allocatedBytes;
        _cpuTime = cpuTime;
        _release = release;
        _allocatedAtRelease = allocatedBytes();
        _lastCpu = cpuTime();
        _timer = time.CreateTimer(_ => Check(), null, period, period);
    }

    /// <summary>How many times memory was released (for tests).</summary>
    internal int Releases { get; private set; }

    /// <summary>One period's check: releases memory if the node was quiet in the period after enough work.</summary>
    internal void Check()
    {
        lock (_gate)
        {
            var cpu = _cpuTime();
            var quiet = cpu - _lastCpu < QuietCpu;
            _lastCpu = cpu;
            if (!quiet || _allocatedBytes() - _allocatedAtRelease < WorkBytes)
            {
                return;
            }
            _release();
            Releases++;
            _allocatedAtRelease = _allocatedBytes();
            _lastCpu = _cpuTime();
        }
    }

    public void Dispose() => _timer.Dispose();
}
