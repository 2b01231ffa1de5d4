using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Dupa.Core.Crypto;
using Dupa.Node.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>What a relay sends a listening node when a session is wanted (docs/protocol.md, Relaying, step 4).</summary>
public sealed record RelayOffer(string Session, string From);

/// <summary>The relay's side of relaying (<c>dupa status</c>): who listens here, sessions open and relayed in all.</summary>
public sealed record RelayHubState(bool Enabled, IReadOnlyList<string> Listening, int Sessions, long SessionsTotal, long BytesRelayed);

/// <summary>
/// The relay (docs/protocol.md, Relaying): keeps the listening peers' WebSockets, offers them sessions that other
/// peers ask for, and pipes each session's bytes between the two WebSockets without looking at them. It relays only
/// between devices it has pinned itself, and only when <see cref="NodeOptions.Relay"/> is on.
/// </summary>
public sealed partial class RelayHub(NodeOptions options, NodeIdentity identity, PeerRegistry peers, TimeProvider time, ILogger<RelayHub> logger)
{
    /// <summary>How long the relay waits for the listening peer to accept a session.</summary>
    public static readonly TimeSpan AcceptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A session with no byte either way for this long is closed: a dialer's connection lasts one round.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Bandwidth _bandwidth = new(() => options.RelayBytesPerSecond, time);
    private int _sessions;
    private long _sessionsTotal;
    private long _bytes;

    public RelayHubState State => new(options.Relay, [.. _listeners.Keys.Order(StringComparer.Ordinal).Select(h => DeviceId.FromHex(h).ToString())],
        Volatile.Read(ref _sessions), Interlocked.Read(ref _sessionsTotal), Interlocked.Read(ref _bytes));

    /// <summary>Message 8: the caller keeps this WebSocket open and is sent an offer for each session wanted with it.</summary>
    public async Task<IResult> ListenAsync(DeviceId caller, HttpContext context)
    {
        if (Refusal(caller, null, context) is { } refused)
        {
            return refused;
        }
        Unlimit(context);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var listener = new Listener(socket);
        // A device listens once: a newer listen replaces an older one, which is closed (even when two arrive at once).
        Listener? previous = null;
        _listeners.AddOrUpdate(caller.Hex, listener, (_, old) =>
        {
            previous = old;
            return listener;
        });
        previous?.Close();
        LogListening(logger, caller);
        try
        {
            // The listener sends nothing; reading notices when it goes away.
            var reading = DrainAsync(socket, listener.Closed.Token);
            var sending = SendOffersAsync(socket, listener, context.RequestAborted);
            await Task.WhenAny(reading, sending);
        }
        finally
        {
            listener.Close();
            _listeners.TryRemove(KeyValuePair.Create(caller.Hex, listener));
            await CloseQuietlyAsync(socket);
            LogNotListening(logger, caller);
        }
        return Results.Empty;
    }

    /// <summary>Message 10: a session from the caller to <paramref name="target"/>, once the target accepts it.</summary>
    public async Task<IResult> ConnectAsync(DeviceId caller, string target, HttpContext context)
    {
        var parsed = target.Length == 64 && target.All(char.IsAsciiHexDigit) ? DeviceId.FromHex(target) : (DeviceId?)null;
        if (Refusal(caller, parsed, context) is { } refused)
        {
            return refused;
        }
        var to = parsed!.Value;
        if (!peers.IsPinned(to))
        {
            if (_listeners.TryRemove(to.Hex, out var unpinned))
            {
                unpinned.Close();
            }
            return Refuse(caller, to.ToString(), StatusCodes.Status404NotFound, "not_pinned", "this relay has not pinned that device");
        }
        if (!_listeners.TryGetValue(to.Hex, out var listener))
        {
            return Refuse(caller, to.ToString(), StatusCodes.Status409Conflict, "not_listening", "that device is not listening at this relay");
        }
        if (Interlocked.Increment(ref _sessions) > options.RelayMaxSessions)
        {
            Interlocked.Decrement(ref _sessions);
            return Refuse(caller, to.ToString(), StatusCodes.Status429TooManyRequests, "relay_busy", "this relay has as many sessions as it allows; try again later");
        }
        var session = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var pending = new Pending(to);
        try
        {
            _pending[session] = pending;
            if (!listener.Offers.Writer.TryWrite(new RelayOffer(session, caller.Hex)))
            {
                return Refuse(caller, to.ToString(), StatusCodes.Status409Conflict, "not_listening", "that device is not taking sessions at this relay");
            }
            WebSocket accepted;
            try
            {
                accepted = await pending.Accepted.Task.WaitAsync(AcceptTimeout, time, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                if (!pending.Accepted.TrySetCanceled())
                {
                    // Accepted at the last moment.
                    accepted = await pending.Accepted.Task;
                }
                else
                {
                    // Its listen evidently does not work: closed, so that the device opens a new one a heartbeat later.
                    listener.Close();
                    return Refuse(caller, to.ToString(), StatusCodes.Status409Conflict, "no_answer", "that device did not answer the relay in time");
                }
            }
            finally
            {
                // Taken or given up: either way no accept may claim it any more.
                _pending.TryRemove(session, out _);
            }
            Unlimit(context);
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            Interlocked.Increment(ref _sessionsTotal);
            LogSessionOpened(logger, caller, to);
            await using var callerSide = WebSocketStream.Create(socket, WebSocketMessageType.Binary, TimeSpan.FromSeconds(2));
            await using var targetSide = WebSocketStream.Create(accepted, WebSocketMessageType.Binary, TimeSpan.FromSeconds(2));
            var result = await Splice.RunAsync(callerSide, targetSide, new SpliceLimits(options.RelaySessionBytes, IdleTimeout, _bandwidth, time), context.RequestAborted);
            Interlocked.Add(ref _bytes, result.Forward + result.Backward);
            LogSessionClosed(logger, caller, to, result.Forward, result.Backward, result.Ended);
            return Results.Empty;
        }
        finally
        {
            _pending.TryRemove(session, out _);
            pending.Accepted.TrySetCanceled();
            pending.Done.TrySetResult();
            Interlocked.Decrement(ref _sessions);
        }
    }

    /// <summary>Message 9: the listening device takes up a session offered to it; this request carries its end.</summary>
    public async Task<IResult> AcceptAsync(DeviceId caller, string session, HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return ProblemMapping.Problem(StatusCodes.Status400BadRequest, "websocket_required", "connect with a WebSocket");
        }
        // Only the device the session was offered to, only once, and only while the dialer waits.
        if (!_pending.TryGetValue(session, out var pending) || pending.Target != caller || !_pending.TryRemove(KeyValuePair.Create(session, pending)))
        {
            return ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such session");
        }
        Unlimit(context);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        if (!pending.Accepted.TrySetResult(socket))
        {
            return Results.Empty;
        }
        // The dialer's request pipes this WebSocket; it must stay open until that is done.
        await pending.Done.Task;
        return Results.Empty;
    }

    /// <summary>Why the relay turns a listen or connect down, if it does (docs/protocol.md, Relaying, step 3).</summary>
    private IResult? Refusal(DeviceId caller, DeviceId? target, HttpContext context)
    {
        var connecting = context.Request.Path.Value?.Contains("/connect/", StringComparison.Ordinal) == true;
        var named = target?.ToString() ?? (connecting ? "(not a device ID)" : "(listen)");
        if (!options.Relay)
        {
            return Refuse(caller, named, StatusCodes.Status403Forbidden, "relay_off", "this node does not relay");
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Refuse(caller, named, StatusCodes.Status400BadRequest, "websocket_required", "connect with a WebSocket");
        }
        if (connecting && (target is not { } to || to == caller || to == identity.Id))
        {
            return Refuse(caller, named, StatusCodes.Status400BadRequest, "invalid_input", "name another pinned device, as 64 hex digits");
        }
        return null;
    }

    private IResult Refuse(DeviceId caller, string target, int status, string code, string reason)
    {
        LogRefused(logger, caller, target, reason);
        return ProblemMapping.Problem(status, code, reason);
    }

    /// <summary>
    /// A relayed WebSocket is a long, possibly idle, possibly large HTTP/2 stream: the node's 16 MiB body size and
    /// minimum upload rate must not apply to it, only the session's own limits. Kestrel 10 already exempts WebSocket
    /// streams (a session of 18 MB passes without this); lifted here explicitly so that it stays so.
    /// </summary>
    private static void Unlimit(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }
    }

    private static async Task SendOffersAsync(WebSocket socket, Listener listener, CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, listener.Closed.Token);
        try
        {
            await foreach (var offer in listener.Offers.Reader.ReadAllAsync(stop.Token))
            {
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(offer, NodeJson.Default.RelayOffer), WebSocketMessageType.Text, true, stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ChannelClosedException)
        {
            // Closed, replaced or gone: the listen ends.
        }
    }

    private static async Task DrainAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                if ((await socket.ReceiveAsync(buffer, cancellationToken)).MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Gone.
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket socket)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // Already gone.
        }
    }

    /// <summary>A listening device's WebSocket: the offers waiting to be sent on it, and a switch that ends it.</summary>
    private sealed class Listener(WebSocket socket)
    {
        public WebSocket Socket { get; } = socket;

        /// <summary>Offers beyond 8 waiting to be sent mean the device is not keeping up: the session is refused.</summary>
        public Channel<RelayOffer> Offers { get; } = Channel.CreateBounded<RelayOffer>(8);

        public CancellationTokenSource Closed { get; } = new();

        public void Close()
        {
            Offers.Writer.TryComplete();
            try
            {
                Closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already over.
            }
        }
    }

    /// <summary>A session offered to <see cref="Target"/>: its WebSocket once accepted, and the end of the piping.</summary>
    private sealed class Pending(DeviceId target)
    {
        public DeviceId Target { get; } = target;

        public TaskCompletionSource<WebSocket> Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "relay: device {Device} listens for sessions")]
    private static partial void LogListening(ILogger logger, DeviceId device);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay: device {Device} no longer listens")]
    private static partial void LogNotListening(ILogger logger, DeviceId device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay: refused {Caller} to {Target}: {Reason}")]
    private static partial void LogRefused(ILogger logger, DeviceId caller, string target, string reason);

    // Sessions at debug level: a dialer opens one a heartbeat round (10 s), which would drown the log; the totals are in dupa status.
    [LoggerMessage(Level = LogLevel.Debug, Message = "relay: session {Caller} to {Target} opened")]
    private static partial void LogSessionOpened(ILogger logger, DeviceId caller, DeviceId target);

    [LoggerMessage(Level = LogLevel.Debug, Message = "relay: session {Caller} to {Target} closed after {Forward} bytes there and {Backward} back: {Ended}")]
    private static partial void LogSessionClosed(ILogger logger, DeviceId caller, DeviceId target, long forward, long backward, string ended);
}
