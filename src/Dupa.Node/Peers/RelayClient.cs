using System.Net;
using System.Net.WebSockets;
using Dupa.Core.Crypto;

namespace Dupa.Node.Peers;

/// <summary>A relay turned a request down before its WebSocket opened (docs/protocol.md, Relaying, step 3).</summary>
public sealed class RelayRefusedException(int statusCode, string message) : IOException(message)
{
    /// <summary>The HTTP status the relay answered: 403 relaying off, 404 target not pinned, 409 not listening, 429 busy.</summary>
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// The WebSockets a node opens at a relay (messages 8 to 10 of docs/protocol.md): over mutual TLS to the relay,
/// whose key is checked against its pin as for any peer, on HTTP/2 with RFC 8441's extended CONNECT.
/// </summary>
public static class RelayClient
{
    /// <summary>
    /// The HOST:PORT in the URLs of a client that reaches a peer through a relay. It is never resolved or dialled
    /// (the connection comes from the relay); <c>.invalid</c> guarantees it names nothing real (RFC 6761).
    /// </summary>
    public const string Address = "relayed.invalid:443";

    /// <summary>
    /// A byte stream to <paramref name="target"/> through <paramref name="relay"/> (message 10), over which the caller
    /// makes its own TLS connection to the target. Throws <see cref="RelayRefusedException"/> when the relay refuses.
    /// </summary>
    public static async Task<Stream> ConnectAsync(NodeIdentity identity, string relayAddress, DeviceId relay, DeviceId target, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(identity, relayAddress, relay, $"/peer/v1/relay/connect/{target.Hex}", keepAlive: false, cancellationToken);
        return connection.AsStream();
    }

    /// <summary>
    /// An HTTP/2 client for <paramref name="target"/> whose connections run through the relay: the TLS handshake is
    /// the target's own, checked against its pin exactly as <see cref="PeerConnector.CreateClient"/> checks a direct one.
    /// </summary>
    public static HttpClient CreateClient(NodeIdentity identity, string relayAddress, DeviceId relay, DeviceId target) => new(new SocketsHttpHandler
    {
        SslOptions = PeerConnector.SslOptions(identity, target),
        // The relay waits up to 10 s for the target to answer before it says no.
        ConnectTimeout = RelayHub.AcceptTimeout + TimeSpan.FromSeconds(5),
        // HTTP/2 pings end to end through the relay: a path that died without a word fails requests within a minute
        // instead of leaving them waiting for TCP to give up.
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        ConnectCallback = async (_, cancellationToken) => await ConnectAsync(identity, relayAddress, relay, target, cancellationToken),
    });

    /// <summary>Opens one of messages 8 to 10 at the relay; <paramref name="keepAlive"/> pings it so that a silent drop is noticed.</summary>
    public static async Task<RelayConnection> OpenAsync(NodeIdentity identity, string relayAddress, DeviceId relay, string path, bool keepAlive, CancellationToken cancellationToken)
    {
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler { SslOptions = PeerConnector.SslOptions(identity, relay), ConnectTimeout = TimeSpan.FromSeconds(10) });
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        if (keepAlive)
        {
            // A listen that a NAT dropped without a word is noticed within 30 s, and opened again a heartbeat later.
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
            socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(15);
        }
        try
        {
            await socket.ConnectAsync(new Uri($"wss://{relayAddress}{path}"), invoker, cancellationToken);
            return new RelayConnection(socket, invoker);
        }
        catch (WebSocketException) when (socket.HttpStatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            invoker.Dispose();
            throw new RelayRefusedException(status, status switch
            {
                403 => "the relay does not relay (403)",
                404 => "the relay has not pinned that peer, or the session is gone (404)",
                409 => "the peer is not listening at the relay, or did not answer it (409)",
                429 => "the relay has as many sessions as it allows (429)",
                _ => $"the relay refused the request ({status})",
            });
        }
        catch
        {
            socket.Dispose();
            invoker.Dispose();
            throw;
        }
    }
}
