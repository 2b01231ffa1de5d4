namespace Dupa.Node.Peers;

/// <summary>
/// The optional limit on what this node pulls from peers (<see cref="NodeOptions.PeerBandwidthBytesPerSecond"/>;
/// 0 means none): a token bucket holding at most one second's worth, shared by every transfer. The relay holds
/// its sessions to <see cref="NodeOptions.RelayBytesPerSecond"/> with a bucket of its own.
/// </summary>
public sealed class Bandwidth
{
    private readonly Lock _gate = new();
    private readonly Func<long> _rate;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public Bandwidth(NodeOptions options, TimeProvider time)
        : this(() => options.PeerBandwidthBytesPerSecond, time)
    {
    }

    internal Bandwidth(Func<long> rate, TimeProvider time)
    {
        _rate = rate;
        _time = time;
        _last = time.GetTimestamp();
    }

    /// <summary>Waits until <paramref name="bytes"/> may be counted as received.</summary>
    public Task TakeAsync(long bytes) => TakeAsync(bytes, CancellationToken.None);

    public async Task TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        var rate = _rate();
        if (rate <= 0)
        {
            return;
        }
        TimeSpan wait;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(rate, _tokens + _time.GetElapsedTime(_last, now).TotalSeconds * rate);
            _last = now;
            // Debt is allowed: a chunk larger than the bucket waits for its own bytes' worth of time.
            _tokens -= bytes;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / rate);
        }
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken);
        }
    }
}
