using System.Net;
using System.Net.Sockets;

namespace Dupa.Testing;

/// <summary>Helpers for tests that start servers and wait for them to get somewhere.</summary>
public static class Waiting
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
