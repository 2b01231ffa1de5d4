using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Dupa.Core.Crypto;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>
/// The listening side of relaying (docs/protocol.md, Relaying, steps 1 and 5): keeps <c>listen</c> open at every relay
/// this node reaches directly, and answers each offer by opening <c>accept</c> and splicing it to a TCP connection
/// to this node's own peer listener, whose handshake then checks the caller exactly as for a direct connection.
/// </summary>
public sealed partial class RelayListener(NodeIdentity identity, NodeOptions options, TimeProvider time, ILogger<RelayListener> logger) : IDisposable
{
    /// <summary>An offer is a short JSON object; anything longer is not one.</summary>
    private const int MaxOfferBytes = 1024;

    private readonly ConcurrentDictionary<string, Listening> _listening = new(StringComparer.Ordinal);
    private int _sessions;

    /// <summary>The relays whose <c>listen</c> is open now.</summary>
    public IReadOnlyList<string> ListeningAt => [.. _listening.Where(l => l.Value.Open).Select(l => l.Key).Order(StringComparer.Ordinal).Select(h => DeviceId.FromHex(h).ToString())];

    /// <summary>
    /// Called after each heartbeat round with the relays reached directly: starts listening at new ones, and stops at
    /// relays no longer in the list.
    /// </summary>
    public void Update(IEnumerable<(DeviceId Id, string Address)> relays, CancellationToken stopping)
    {
        var wanted = options.PeerListen is null || !options.UseRelays ? [] : relays.ToDictionary(r => r.Id.Hex, r => r.Address, StringComparer.Ordinal);
        foreach (var (hex, listening) in _listening)
        {
            if (listening.Task.IsCompleted || !wanted.TryGetValue(hex, out var address) || address != listening.Address)
            {
                listening.Stop.Cancel();
                _listening.TryRemove(KeyValuePair.Create(hex, listening));
            }
        }
        foreach (var (hex, address) in wanted)
        {
            if (!_listening.ContainsKey(hex))
            {
                var listening = new Listening(address, CancellationTokenSource.CreateLinkedTokenSource(stopping), stopping);
                listening.Task = ListenAsync(DeviceId.FromHex(hex), listening);
                _listening[hex] = listening;
            }
        }
    }

    /// <summary>
    /// Keeps <c>listen</c> open at one relay until told to stop: a dropped one is opened again a heartbeat interval
    /// later, whether or not a heartbeat round (which may be a long replication) has ended meanwhile.
    /// </summary>
    private async Task ListenAsync(DeviceId relay, Listening listening)
    {
        var cancellationToken = listening.Stop.Token;
        // Off the heartbeat's path: the round goes on while this runs.
        await Task.Yield();
        var pause = TimeSpan.FromSeconds(Math.Max(1, options.PeerHeartbeatSeconds));
        while (!cancellationToken.IsCancellationRequested)
        {
            await ListenOnceAsync(relay, listening, pause);
            try
            {
                await Task.Delay(pause, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ListenOnceAsync(DeviceId relay, Listening listening, TimeSpan pause)
    {
        var cancellationToken = listening.Stop.Token;
        try
        {
            using var connection = await RelayClient.OpenAsync(identity, listening.Address, relay, "/peer/v1/relay/listen", keepAlive: true, cancellationToken);
            listening.Open = true;
            LogListening(logger, relay);
            var buffer = new byte[MaxOfferBytes];
            while (await ReadOfferAsync(connection.Socket, buffer, cancellationToken) is var (read, complete) && read >= 0)
            {
                if (!complete || !TryParse(buffer.AsSpan(0, read), out var offer))
                {
                    LogBadOffer(logger, relay);
                    continue;
                }
                if (Interlocked.Increment(ref _sessions) > options.RelayMaxSessions)
                {
                    Interlocked.Decrement(ref _sessions);
                    LogTooMany(logger, relay);
                    continue;
                }
                // A session outlives the listen that brought it: it has connections of its own.
                _ = ServeAsync(relay, listening.Address, offer, listening.Stopping);
            }
            LogStopped(logger, relay, "the relay closed it", pause.TotalSeconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // No longer wanted, or the node is stopping.
        }
        catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            var reason = e.GetBaseException().Message;
            LogStopped(logger, relay, reason, pause.TotalSeconds);
        }
        finally
        {
            listening.Open = false;
        }
    }

    /// <summary>One offer: returns (bytes read, whether it fit) or (-1, false) when the relay closed the WebSocket.</summary>
    private static async Task<(int Read, bool Complete)> ReadOfferAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        var fits = true;
        while (true)
        {
            var result = await socket.ReceiveAsync(fits ? buffer.AsMemory(read) : buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (-1, false);
            }
            if (fits)
            {
                read += result.Count;
                fits = read < buffer.Length || result.EndOfMessage;
            }
            if (result.EndOfMessage)
            {
                return (read, fits && result.MessageType == WebSocketMessageType.Text);
            }
        }
    }

    /// <summary>Checks an offer's shape: a session of 32 hex digits, a caller of 64. Whom it names is not trusted (the handshake decides).</summary>
    internal static bool TryParse(ReadOnlySpan<byte> json, out RelayOffer offer)
    {
        offer = null!;
        try
        {
            if (JsonSerializer.Deserialize(json, NodeJson.Default.RelayOffer) is { Session: { Length: 32 } session, From: { Length: 64 } from }
                && session.All(char.IsAsciiHexDigitLower) && from.All(char.IsAsciiHexDigit))
            {
                offer = new RelayOffer(session, from);
                return true;
            }
        }
        catch (JsonException)
        {
            // Not an offer.
        }
        return false;
    }

    private async Task ServeAsync(DeviceId relay, string relayAddress, RelayOffer offer, CancellationToken cancellationToken)
    {
        try
        {
            using var tcp = new TcpClient(OwnPeerPort().AddressFamily) { NoDelay = true };
            await tcp.ConnectAsync(OwnPeerPort(), cancellationToken);
            using var connection = await RelayClient.OpenAsync(identity, relayAddress, relay, $"/peer/v1/relay/accept/{offer.Session}", keepAlive: false, cancellationToken);
            await using var relayed = connection.AsStream();
            await using var local = tcp.GetStream();
            var result = await Splice.RunAsync(relayed, local, new SpliceLimits(long.MaxValue, RelayHub.IdleTimeout, null, time), cancellationToken);
            LogSessionEnded(logger, relay, result.Forward, result.Backward, result.Ended);
        }
        catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or SocketException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException)
        {
            var error = e.GetBaseException().Message;
            LogSessionFailed(logger, relay, error);
        }
        finally
        {
            Interlocked.Decrement(ref _sessions);
        }
    }

    /// <summary>
    /// Where this node's own peer listener is: the <c>--peer-listen</c> address, an unspecified host being reached on
    /// loopback. The listener treats this connection like any other: it checks the caller's certificate.
    /// </summary>
    private IPEndPoint OwnPeerPort()
    {
        if (!PeerRegistry.TryParseAddress(options.PeerListen!, out var host, out var port))
        {
            throw new InvalidOperationException("--peer-listen was checked when the node started");
        }
        var address = host switch
        {
            "*" or "+" or "0.0.0.0" or "localhost" => IPAddress.Loopback,
            "::" => IPAddress.IPv6Loopback,
            _ => IPAddress.Parse(host),
        };
        return new IPEndPoint(address, port);
    }

    public void Dispose()
    {
        foreach (var listening in _listening.Values)
        {
            listening.Stop.Cancel();
        }
    }

    /// <summary>A <c>listen</c> at one relay: where, whether it is open now, and the switch that ends it.</summary>
    private sealed class Listening(string address, CancellationTokenSource stop, CancellationToken stopping)
    {
        public string Address { get; } = address;

        public CancellationTokenSource Stop { get; } = stop;

        /// <summary>The node is stopping: sessions end then, not when their listen does.</summary>
        public CancellationToken Stopping { get; } = stopping;

        public Task Task { get; set; } = Task.CompletedTask;

        public volatile bool Open;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "listening for relayed sessions at {Relay}")]
    private static partial void LogListening(ILogger logger, DeviceId relay);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped listening at relay {Relay} ({Reason}); opened again in {Seconds} s")]
    private static partial void LogStopped(ILogger logger, DeviceId relay, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay {Relay} sent something that is not an offer; ignored")]
    private static partial void LogBadOffer(ILogger logger, DeviceId relay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay {Relay} offered a session while as many are open as allowed; ignored")]
    private static partial void LogTooMany(ILogger logger, DeviceId relay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "relayed session through {Relay} ended after {Forward} bytes in and {Backward} out: {Ended}")]
    private static partial void LogSessionEnded(ILogger logger, DeviceId relay, long forward, long backward, string ended);

    [LoggerMessage(Level = LogLevel.Information, Message = "relayed session through {Relay} failed: {Error}")]
    private static partial void LogSessionFailed(ILogger logger, DeviceId relay, string error);
}
