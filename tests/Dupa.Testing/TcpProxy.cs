using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Dupa.Testing;

/// <summary>
/// Forwards TCP connections from a port of its own on 127.0.0.1 to a target port, and can cut every connection at
/// once, as a NAT that forgets its mappings or a network that drops does. Bytes pass untouched (TLS runs through it).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _accepted;

    public TcpProxy(int targetPort)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(targetPort);
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Resets every open connection (both sides see a reset, not a clean close).</summary>
    public void DropAll()
    {
        foreach (var (client, upstream) in _open)
        {
            Reset(client);
            Reset(upstream);
        }
    }

    private async Task AcceptAsync(int targetPort)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                _ = PumpAsync(client, targetPort);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task PumpAsync(TcpClient client, int targetPort)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
            _open[client] = upstream;
            await Task.WhenAny(client.GetStream().CopyToAsync(upstream.GetStream(), _stop.Token), upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Cut, refused or stopped: both ends are closed below.
        }
        finally
        {
            _open.TryRemove(client, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        await _accepting;
        _stop.Dispose();
    }
}
