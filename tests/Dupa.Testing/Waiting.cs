using System.Net;
using System.Net.Sockets;

namespace Dupa.Testing;

/// <summary>Helpers for tests that start servers and wait for them to get somewhere.</summary>
public static class Waiting
{
    // Ports are handed out below the kernel's ephemeral range (ip_local_port_range), from a random start in each
    // test process, each once per process. A port the kernel picks for a listen on :0 comes from that range, where
    // any outgoing connection (another test's HTTP client, running in parallel) could take it between this check
    // and the server's bind: a node then failed to start now and then.
    private static readonly int EphemeralLow = ReadEphemeralLow();
    private static int _next = System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue);

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before.</summary>
    public static int FreePort()
    {
        const int Low = 10000;
        var count = EphemeralLow - Low;
        if (count < 1000)
        {
            // No room below the range: let the kernel choose, as before.
            using var any = new TcpListener(IPAddress.Loopback, 0);
            any.Start();
            return ((IPEndPoint)any.LocalEndpoint).Port;
        }
        for (var attempt = 0; attempt < count; attempt++)
        {
            var port = Low + (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try the next.
            }
        }
        throw new InvalidOperationException($"no free TCP port on 127.0.0.1 from {Low} to {EphemeralLow - 1}");
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's default when it cannot be read).</summary>
    private static int ReadEphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            return int.Parse(range.Split(default(char[]), StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32768;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, checking every 100 ms; throws after <paramref name="seconds"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, int seconds = 20)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the condition did not hold within {seconds} seconds");
    }
}
