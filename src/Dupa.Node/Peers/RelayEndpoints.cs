using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Peers;

/// <summary>
/// Messages 8 to 10 of docs/protocol.md (Relaying), inside the peer routes' group, so only pinned certificates on the
/// peer port reach them. Each is a WebSocket: over HTTP/2 that is a CONNECT request (RFC 8441), over HTTP/1.1 a GET.
/// </summary>
public static class RelayEndpoints
{
    private static readonly string[] Methods = ["GET", "CONNECT"];

    public static void Map(RouteGroupBuilder protocol)
    {
        protocol.MapMethods("/relay/listen", Methods, (HttpContext context, RelayHub hub) => hub.ListenAsync(PeerEndpoints.Caller(context), context));
        protocol.MapMethods("/relay/connect/{device}", Methods, (string device, HttpContext context, RelayHub hub) => hub.ConnectAsync(PeerEndpoints.Caller(context), device, context));
        protocol.MapMethods("/relay/accept/{session}", Methods, (string session, HttpContext context, RelayHub hub) => hub.AcceptAsync(PeerEndpoints.Caller(context), session, context));
    }
}
