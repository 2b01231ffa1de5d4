namespace Dupa.Node.Peers;

/// <summary>
/// The optional limit on what this node pulls from peers (<see cref="NodeOptions.PeerBandwidthBytesPerSecond"/>;
/// 0 means none): a token bucket holding at most one second's worth, shared by every transfer.
/// </summary>
public sealed class Bandwidth(NodeOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private double _tokens;
    private long _last = time.GetTimestamp();

    /// <summary>Waits until <paramref name="bytes"/> may be counted as received.</summary>
    public Task TakeAsync(long bytes) => TakeAsync(bytes, CancellationToken.None);

    public async Task TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        var rate = options.PeerBandwidthBytesPerSecond;
        if (rate <= 0)
        {
            return;
        }
        TimeSpan wait;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(rate, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * rate);
            _last = now;
            // Debt is allowed: a chunk larger than the bucket waits for its own bytes' worth of time.
            _tokens -= bytes;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / rate);
        }
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }
}
