using System.Buffers;
using System.Net.WebSockets;

namespace Dupa.Node.Peers;

/// <summary>How a spliced pair of streams ended: the bytes that went each way, and why it stopped.</summary>
public sealed record SpliceResult(long Forward, long Backward, string Ended);

/// <summary>What a splice may carry: bytes in all (both ways), time without a byte either way, and a shared rate.</summary>
public sealed record SpliceLimits(long MaxBytes, TimeSpan Idle, Bandwidth? Bandwidth, TimeProvider Time);

/// <summary>
/// Copies bytes both ways between two streams without looking at them (docs/protocol.md, Relaying): on a relay
/// between the dialer's and the listener's WebSockets, on the listening node between its WebSocket and its own
/// peer port. Either side ending ends both: the TLS connection inside has nothing to say to a closed end.
/// </summary>
public static class Splice
{
    /// <summary>64 KiB reads: a TLS record is at most 16 KiB, so a few records a read; two buffers a session.</summary>
    private const int BufferSize = 64 * 1024;

    public static async Task<SpliceResult> RunAsync(Stream a, Stream b, SpliceLimits limits, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var counters = new Counters(limits.Time.GetTimestamp());
        var forward = CopyAsync(a, b, counters, forward: true, limits, stop.Token);
        var backward = CopyAsync(b, a, counters, forward: false, limits, stop.Token);
        var watchdog = WatchAsync(counters, limits, stop.Token);
        var first = await Task.WhenAny(forward, backward, watchdog);
        var ended = await first;
        await stop.CancelAsync();
        // The copies stop at their next read or write; neither waits for the other side to say anything more.
        await Task.WhenAll(forward, backward, watchdog);
        return new SpliceResult(Interlocked.Read(ref counters.Forward), Interlocked.Read(ref counters.Backward), ended);
    }

    private static async Task<string> CopyAsync(Stream from, Stream to, Counters counters, bool forward, SpliceLimits limits, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken);
                if (read == 0)
                {
                    return forward ? "the first side closed" : "the second side closed";
                }
                Interlocked.Exchange(ref counters.LastActivity, limits.Time.GetTimestamp());
                if (counters.Add(forward, read) > limits.MaxBytes)
                {
                    return $"the session's limit of {limits.MaxBytes} bytes";
                }
                if (limits.Bandwidth is { } bandwidth)
                {
                    await bandwidth.TakeAsync(read, cancellationToken);
                }
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return "stopped";
        }
        catch (Exception e) when (e is IOException or WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            return (forward ? "the first side: " : "the second side: ") + e.GetBaseException().Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<string> WatchAsync(Counters counters, SpliceLimits limits, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 100, limits.Idle.Ticks / 4));
        try
        {
            while (true)
            {
                await Task.Delay(period, limits.Time, cancellationToken);
                if (limits.Time.GetElapsedTime(Interlocked.Read(ref counters.LastActivity)) >= limits.Idle)
                {
                    return $"no byte either way for {limits.Idle.TotalSeconds:0} s";
                }
            }
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
    }

    private sealed class Counters(long start)
    {
        public long Forward;
        public long Backward;
        public long LastActivity = start;

        /// <summary>Counts bytes one way; returns the total both ways.</summary>
        public long Add(bool forward, long bytes) => forward
            ? Interlocked.Add(ref Forward, bytes) + Interlocked.Read(ref Backward)
            : Interlocked.Add(ref Backward, bytes) + Interlocked.Read(ref Forward);
    }
}
