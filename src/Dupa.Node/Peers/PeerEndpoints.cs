using Dupa.Core.Errors;
using Dupa.Node.Api;
using Dupa.Node.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Peers;

public sealed record PeerView(string DeviceId, string DeviceIdHex, string Name, string? Address, DateTimeOffset AddedAt, bool Connected, DateTimeOffset? LastSeen, string? LastError);

public sealed record AddPeerRequest(string DeviceId, string? Address, string? Name);

public sealed record NodeIdView(string DeviceId, string DeviceIdHex, string? PeerListen);

public sealed record NodeStatusView(string DeviceId, string? PeerListen, IReadOnlyList<PeerView> Peers);

/// <summary>
/// Peers in two places: the admin's REST API on the API port (pins and status), and the peer protocol itself,
/// which answers only on the mutual-TLS peer port to a pinned certificate (docs/protocol.md).
/// </summary>
public static class PeerEndpoints
{
    public static void Map(WebApplication app, NodeOptions options)
    {
        var node = app.MapGroup("/api/v1").WithTags("Peers");
        node.MapGet("/node/id", (NodeIdentity identity) => new NodeIdView(identity.Id.ToString(), identity.Id.Hex, options.PeerListen))
            .RequireAuthorization(Scopes.Read).WithSummary("This node's device ID, to give to the peers that pin it");
        node.MapGet("/status", (NodeIdentity identity, PeerRegistry peers) => new NodeStatusView(identity.Id.ToString(), options.PeerListen, [.. peers.All().Select(View)]))
            .RequireAuthorization(Scopes.Admin).WithSummary("This node and each peer: connected, last seen, last error");
        node.MapGet("/peers", (PeerRegistry peers) => peers.All().Select(View)).RequireAuthorization(Scopes.Admin).WithSummary("The pinned peers (admin)");
        node.MapPost("/peers", (AddPeerRequest request, PeerRegistry peers, NodeIdentity identity) =>
        {
            var id = NodeIdentity.ParseDeviceId(request.DeviceId ?? "")
                ?? throw new DupaException(ErrorCode.InvalidInput, "not a device ID (8 groups of 7 characters, as 'dupa id' prints it); a character may be mistyped");
            if (id == identity.Id)
            {
                throw new DupaException(ErrorCode.InvalidInput, "that is this node's own device ID");
            }
            return Results.Ok(View(peers.Pin(id, request.Name, request.Address)));
        }).RequireAuthorization(Scopes.Admin).WithSummary("Pin a peer by its device ID, with the address to dial it at (admin)");
        node.MapDelete("/peers/{id}", (string id, PeerRegistry peers) =>
            NodeIdentity.ParseDeviceId(id) is { } parsed && peers.Unpin(parsed)
                ? Results.NoContent()
                : throw new DupaException(ErrorCode.NotFound, "no such peer")).RequireAuthorization(Scopes.Admin).WithSummary("Unpin a peer (admin)");

        if (options.PeerListen is null)
        {
            return;
        }
        var port = PeerPort(options.PeerListen);
        var protocol = app.MapGroup("/peer/v1").ExcludeFromDescription().AllowAnonymous().AddEndpointFilter(async (context, next) =>
        {
            // Only on the peer port, and only to a pinned certificate (the handshake already checked it).
            var connection = context.HttpContext.Connection;
            if (connection.LocalPort != port || connection.ClientCertificate is not { } certificate
                || context.HttpContext.RequestServices.GetService(typeof(PeerRegistry)) is not PeerRegistry registry || !registry.IsPinned(NodeIdentity.DeviceIdOf(certificate)))
            {
                return ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such resource");
            }
            registry.Seen(NodeIdentity.DeviceIdOf(certificate));
            return await next(context);
        });
        protocol.MapGet("/hello", (NodeIdentity identity, TimeProvider time) =>
            new PeerHello(identity.Id.Hex, Environment.MachineName, PeerConnector.ProtocolVersion, time.GetUtcNow()));
    }

    public static int PeerPort(string peerListen) =>
        PeerRegistry.TryParseAddress(peerListen, out _, out var port)
            ? port
            : throw new DupaException(ErrorCode.InvalidInput, $"--peer-listen '{peerListen}' is not HOST:PORT");

    private static PeerView View(PeerState state) =>
        new(Core.Crypto.DeviceId.FromHex(state.Record.DeviceId).ToString(), state.Record.DeviceId, state.Record.Name, state.Record.Address, state.Record.AddedAt,
            state.Connected, state.LastSeen, state.LastError);
}
