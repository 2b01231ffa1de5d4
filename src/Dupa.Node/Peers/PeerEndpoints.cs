using Dupa.Core.Errors;
using Dupa.Core.Replication;
using Dupa.Node.Api;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dupa.Node.Peers;

public sealed record PeerView(string DeviceId, string DeviceIdHex, string Name, string? Address, DateTimeOffset AddedAt, bool Connected, DateTimeOffset? LastSeen, string? LastError,
    long? BytesBehind, string? Discovered = null)
{
    /// <summary>Whether the peer relays for its pinned peers (as its last hello said).</summary>
    public bool Relays { get; init; }

    /// <summary>The relay (device ID) through which this node last reached the peer; null when directly.</summary>
    public string? Via { get; init; }
}

public sealed record AddPeerRequest(string DeviceId, string? Address, string? Name);

public sealed record NodeIdView(string DeviceId, string DeviceIdHex, string? PeerListen);

public sealed record NodeStatusView(string DeviceId, string? PeerListen, IReadOnlyList<PeerView> Peers, IReadOnlyList<ReplicaState> Replicas, IReadOnlyList<AuditState> Audits,
    IReadOnlyList<MemberState> Members, PortMappingState? PortMapping = null)
{
    /// <summary>Per shared vault: the copies its owner wants on peers, those up to date, and whether that falls short.</summary>
    public IReadOnlyList<VaultReplicationView> Vaults { get; init; } = [];

    /// <summary>Relaying: this node's relay, if on, and the relays it listens at (docs/protocol.md, Relaying).</summary>
    public RelayView? Relay { get; init; }
}

/// <summary>
/// This node as a relay (whether on, the devices listening here, sessions open and in all, bytes relayed) and the
/// relays it listens at itself.
/// </summary>
public sealed record RelayView(bool Enabled, IReadOnlyList<string> Listening, int Sessions, long SessionsTotal, long BytesRelayed, IReadOnlyList<string> ListeningAt);

public sealed record VaultReplicationView(string VaultId, string Name, int CopiesWanted, IReadOnlyList<string> UpToDate, IReadOnlyList<string> Behind, bool UnderReplicated);

public sealed record ReplicationPolicyRequest(int Copies);

public sealed record ShareRequest(string Peer, string Role);

public sealed record CreatePeerInviteRequest(string? Address);

public sealed record RecoveryGrantRequest(string Peer);

public sealed record PeerInviteView(string Code, DateTimeOffset ExpiresAt);

public sealed record JoinPeerRequest(string Code, string? Name);

/// <summary>What the joining node sends the inviter: the secret, and where the inviter can dial it back.</summary>
public sealed record PeerJoinRequest(string Secret, string? Address);

public sealed record ShareView(string VaultId, string Peer, string PeerName, string Role, DateTimeOffset AddedAt);

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
        node.MapGet("/status", (NodeIdentity identity, PeerRegistry peers, Replicator replicator, Auditor auditor, Members members, PortMapper mapper, NodeDatabase database,
                RelayHub relay, RelayListener relayListener) =>
                new NodeStatusView(identity.Id.ToString(), options.PeerListen, [.. peers.All().Select(View)], replicator.All(), auditor.All(), members.All(), mapper.State)
                {
                    Vaults = Replication(database, peers, members),
                    Relay = Relaying(relay, relayListener),
                })
            .RequireAuthorization(Scopes.Admin).WithSummary("This node and each peer: connected, last seen, last error");
        node.MapGet("/peers", (PeerRegistry peers) => peers.All().Select(View).ToList()).RequireAuthorization(Scopes.Admin).WithSummary("The pinned peers (admin)");
        node.MapPost("/peers", (AddPeerRequest request, HttpContext context, PeerRegistry peers, NodeIdentity identity) =>
        {
            var id = NodeIdentity.ParseDeviceId(request.DeviceId ?? "")
                ?? throw new DupaException(ErrorCode.InvalidInput, "not a device ID (8 groups of 7 characters, as 'dupa id' prints it); a character may be mistyped");
            if (id == identity.Id)
            {
                throw new DupaException(ErrorCode.InvalidInput, "that is this node's own device ID");
            }
            var pinned = peers.Pin(id, request.Name, request.Address);
            context.RequestServices.GetRequiredService<PeerConnector>().Wake();
            return Results.Ok(View(pinned));
        }).RequireAuthorization(Scopes.Admin).WithSummary("Pin a peer by its device ID, with the address to dial it at (admin)");
        node.MapPost("/peers/invites", (CreatePeerInviteRequest? request, PeerInvites invites, NodeIdentity identity, PortMapper mapper, TimeProvider time) =>
        {
            var address = request?.Address ?? mapper.ExternalAddress ?? options.PeerListen
                ?? throw new DupaException(ErrorCode.InvalidInput, "this node does not listen for peers; start it with --peer-listen HOST:PORT");
            if (!PeerRegistry.TryParseAddress(address, out _, out _))
            {
                throw new DupaException(ErrorCode.InvalidInput, $"'{address}' is not HOST:PORT");
            }
            return Results.Ok(new PeerInviteView(invites.Create(identity.Id, address), time.GetUtcNow() + PeerInvites.Lifetime));
        }).RequireAuthorization(Scopes.Admin).WithSummary("An invite code (ID, address, one-time secret) for another node to pair with this one (admin)");
        node.MapPost("/peers/join", async (JoinPeerRequest request, PeerRegistry peers, NodeIdentity identity, CancellationToken cancellationToken) =>
        {
            var invite = PeerInvites.Parse(request.Code ?? "");
            var inviter = Core.Crypto.DeviceId.FromHex(invite.Id);
            if (inviter == identity.Id)
            {
                throw new DupaException(ErrorCode.InvalidInput, "that is this node's own invite");
            }
            peers.Pin(inviter, request.Name, invite.Address);
            using var client = PeerConnector.CreateClient(identity, inviter);
            using var join = new HttpRequestMessage(HttpMethod.Post, $"https://{invite.Address}/peer/v1/join")
            {
                Version = System.Net.HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = System.Net.Http.Json.JsonContent.Create(new PeerJoinRequest(invite.Secret, options.PeerListen), NodeJson.Default.PeerJoinRequest),
            };
            try
            {
                using var response = await client.SendAsync(join, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new DupaException(ErrorCode.WrongPassphrase, "the inviting node refused the code (used, expired or not its own)");
                }
            }
            catch (HttpRequestException e) when (PeerConnector.IsRefusal(e))
            {
                // The handshake was refused: the inviter has no outstanding invite any more.
                throw new DupaException(ErrorCode.WrongPassphrase, "the inviting node refused the connection: the code was already used or has expired", e);
            }
            catch (HttpRequestException e)
            {
                throw new DupaException(ErrorCode.Io, $"cannot reach the inviting node at {invite.Address}: {e.GetBaseException().Message}", e, isTransient: true);
            }
            return Results.Ok(View(peers.Get(inviter)!));
        }).RequireAuthorization(Scopes.Admin).WithSummary("Pair with the node that made an invite code: both pin each other (admin)");
        node.MapDelete("/peers/{id}", (string id, PeerRegistry peers) =>
            NodeIdentity.ParseDeviceId(id) is { } parsed && peers.Unpin(parsed)
                ? Results.NoContent()
                : throw new DupaException(ErrorCode.NotFound, "no such peer")).RequireAuthorization(Scopes.Admin).WithSummary("Unpin a peer (admin)");

        node.MapPost("/replicas/{vault}/recovery-grants", (string vault, RecoveryGrantRequest request, NodeDatabase database, Replicator replicator, PeerRegistry peers, TimeProvider time) =>
        {
            var peer = NodeIdentity.ParseDeviceId(request.Peer ?? "") is { } parsed && peers.Get(parsed) is not null
                ? parsed
                : throw new DupaException(ErrorCode.NotFound, "no pinned peer with that device ID; pin the recovering device first");
            if (!Directory.Exists(replicator.DirectoryOf(vault)) || vault.Length > 64 || !vault.All(char.IsAsciiLetterOrDigit))
            {
                throw new DupaException(ErrorCode.NotFound, "this node holds no replica of that vault ('dupa status' lists them)");
            }
            database.GrantRecovery(vault, peer.Hex, time.GetUtcNow());
            return Results.NoContent();
        }).RequireAuthorization(Scopes.Admin).WithSummary("Let a pinned device fetch this node's replica of a vault, to recover it on a new machine (admin)");
        node.MapDelete("/replicas/{vault}/recovery-grants/{peer}", (string vault, string peer, NodeDatabase database) =>
            NodeIdentity.ParseDeviceId(peer) is { } parsed && database.RevokeRecovery(vault, parsed.Hex)
                ? Results.NoContent()
                : throw new DupaException(ErrorCode.NotFound, "no such recovery grant")).RequireAuthorization(Scopes.Admin)
            .WithSummary("Take back a device's leave to recover a replica (admin)");

        app.MapPut("/api/v1/vaults/{id}/replication", (string id, ReplicationPolicyRequest request, HttpContext context, NodeDatabase database) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            if (request.Copies is < 0 or > 16)
            {
                throw new DupaException(ErrorCode.InvalidInput, "copies is a number from 0 (no policy) to 16");
            }
            database.SetCopiesWanted(id, request.Copies);
            return Results.NoContent();
        }).RequireAuthorization(Scopes.Write).WithTags("Peers").WithSummary("How many up-to-date copies of the vault should be on peers; dupa status reports a vault with fewer as under-replicated");

        var shares = app.MapGroup("/api/v1/vaults/{id}/shares").WithTags("Peers");
        shares.MapGet("/", (string id, HttpContext context, NodeDatabase database, PeerRegistry peers) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            return database.SharesOfVault(id).Select(s => ShareView(s, peers)).ToList();
        }).RequireAuthorization(Scopes.Read).WithSummary("The peers this vault is shared with");
        shares.MapPost("/", (string id, ShareRequest request, HttpContext context, NodeDatabase database, PeerRegistry peers, TimeProvider time) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            var peer = NodeIdentity.ParseDeviceId(request.Peer ?? "") is { } parsed && peers.Get(parsed) is { } state
                ? state
                : throw new DupaException(ErrorCode.NotFound, "no pinned peer with that device ID; pin it first with 'dupa peer add'");
            if (request.Role is not ("replica" or "member"))
            {
                throw new DupaException(ErrorCode.InvalidInput, "the role is 'replica' (ciphertext only) or 'member' (receives the vault key: reads and writes)");
            }
            var share = new ShareRecord(id, peer.Record.DeviceId, request.Role, time.GetUtcNow());
            database.SaveShare(share);
            context.RequestServices.GetRequiredService<PeerConnector>().Nudge(id);
            return Results.Ok(ShareView(share, peers));
        }).RequireAuthorization(Scopes.Write).WithSummary("Share the vault with a pinned peer: as a replica it stores the ciphertext and can never read it; as a member it receives the key, reads and writes");
        shares.MapDelete("/{peer}", (string id, string peer, HttpContext context, NodeDatabase database) =>
        {
            CurrentUser.OwnedVault(context.User, database, id);
            return NodeIdentity.ParseDeviceId(peer) is { } parsed && database.RemoveShare(id, parsed.Hex)
                ? Results.NoContent()
                : throw new DupaException(ErrorCode.NotFound, "the vault is not shared with that peer");
        }).RequireAuthorization(Scopes.Write).WithSummary("Stop sharing the vault with a peer: it gets no new data");

        if (options.PeerListen is null)
        {
            return;
        }
        var port = PeerPort(options.PeerListen);
        var protocol = app.MapGroup("/peer/v1").ExcludeFromDescription().AllowAnonymous().AddEndpointFilter(async (context, next) =>
        {
            // Only on the peer port, and only to a pinned certificate (the handshake already checked it).
            var connection = context.HttpContext.Connection;
            // The one exception is the join request of an invite, which pins its caller.
            var joining = context.HttpContext.Request.Path.Value == "/peer/v1/join";
            if (connection.LocalPort != port || connection.ClientCertificate is not { } certificate
                || context.HttpContext.RequestServices.GetService(typeof(PeerRegistry)) is not PeerRegistry registry
                || (!joining && !registry.IsPinned(NodeIdentity.DeviceIdOf(certificate))))
            {
                return ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such resource");
            }
            if (joining)
            {
                return await next(context);
            }
            registry.Seen(NodeIdentity.DeviceIdOf(certificate));
            return await next(context);
        });
        protocol.MapGet("/hello", (NodeIdentity identity, TimeProvider time) =>
            new PeerHello(identity.Id.Hex, Environment.MachineName, PeerConnector.ProtocolVersion, time.GetUtcNow()) { Relay = options.Relay });
        RelayEndpoints.Map(protocol);
        MapReplicaSide(protocol);
        protocol.MapGet("/replicas", (HttpContext context, Replicator replicator) =>
            replicator.All().Where(r => r.From == Caller(context).Hex).ToList());
        protocol.MapPost("/join", (PeerJoinRequest request, HttpContext context, PeerInvites invites, PeerRegistry peers, PeerConnector connector) =>
        {
            if (request.Secret is null || !invites.Redeem(request.Secret))
            {
                return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "forbidden", "no such invite");
            }
            var address = request.Address is { } a && PeerRegistry.TryParseAddress(a, out var host, out _)
                ? (host is "0.0.0.0" or "::" or "*" ? $"{context.Connection.RemoteIpAddress}:{a[(a.LastIndexOf(':') + 1)..]}" : a)
                : null;
            peers.Pin(Caller(context), name: null, address);
            connector.Wake();
            return Results.Ok();
        });
        protocol.MapPost("/nudge", (PeerConnector connector) =>
        {
            // An owner says a vault changed: pull now rather than at the next heartbeat.
            connector.Wake();
            return Results.Accepted();
        });
        protocol.MapGet("/vaults", (HttpContext context, NodeDatabase database) =>
            database.SharesWithPeer(Caller(context).Hex).Select(s => new SharedVault(s.VaultId, s.Role)).ToList());
        protocol.MapGet("/vaults/{vault}/manifest", (string vault, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
            Results.Ok(ReplicaCopy.Offer(SharedDirectory(vault, context, database, sessions))));
        protocol.MapPost("/vaults/{vault}/key", async (string vault, MemberKeyRequest request, HttpContext context, NodeDatabase database, VaultSessions sessions, CancellationToken cancellationToken) =>
        {
            MemberOf(vault, context, database);
            byte[] agreementKey;
            try
            {
                agreementKey = Convert.FromBase64String(request.AgreementKey ?? "");
                using var _ = Core.Crypto.AgreementKey.FromPublicKey(agreementKey);
            }
            catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
            {
                throw new DupaException(ErrorCode.InvalidInput, "the agreement key is not a P-256 public key");
            }
            var wrapped = await sessions.Get(vault).WithVaultAsync(v => v.WrapKeyTo(agreementKey, "member"), cancellationToken);
            return Results.Ok(new MemberKeyAnswer(Convert.ToBase64String(wrapped), database.FindVault(vault)!.Name));
        });
        protocol.MapGet("/vaults/{vault}/chunks/{id}", async (string vault, string id, HttpContext context, NodeDatabase database, VaultSessions sessions, CancellationToken cancellationToken) =>
        {
            MemberOf(vault, context, database);
            if (id.Length != 64 || !id.All(char.IsAsciiHexDigitLower))
            {
                throw new DupaException(ErrorCode.InvalidInput, "a chunk ID is 64 lowercase hex digits");
            }
            var chunk = Core.Storage.ChunkId.Read(Convert.FromHexString(id));
            var sealedBlob = await sessions.Get(vault).WithVaultAsync(v => v.ReadSealedChunk(chunk), cancellationToken);
            return sealedBlob is null
                ? ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such chunk")
                : Results.Bytes(sealedBlob, "application/octet-stream");
        });
        protocol.MapGet("/vaults/{vault}/{kind}/{name}", (string vault, string kind, string name, long? offset, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        {
            var directory = SharedDirectory(vault, context, database, sessions);
            if (kind == "packs")
            {
                var auditor = context.RequestServices.GetRequiredService<Auditor>();
                var caller = Caller(context);
                // Sent whole: the replica can be audited on it from now on.
                context.Response.OnCompleted(() =>
                {
                    if (!context.RequestAborted.IsCancellationRequested)
                    {
                        auditor.Delivered(vault, caller, name);
                    }
                    return Task.CompletedTask;
                });
            }
            return ServeFile(directory, kind, name, offset);
        });

        // Recovery from this node's replica by a device its admin allowed (docs/protocol.md, Recovery from a replica).
        protocol.MapGet("/recover", (HttpContext context, NodeDatabase database, Replicator replicator) =>
            database.RecoveryGrantsOf(Caller(context).Hex).Where(v => Directory.Exists(replicator.DirectoryOf(v))).ToList());
        protocol.MapGet("/recover/{vault}/manifest", (string vault, HttpContext context, NodeDatabase database, Replicator replicator) =>
            Results.Ok(ReplicaCopy.Offer(RecoverableDirectory(vault, context, database, replicator))));
        protocol.MapGet("/recover/{vault}/{kind}/{name}", (string vault, string kind, string name, long? offset, HttpContext context, NodeDatabase database, Replicator replicator) =>
            ServeFile(RecoverableDirectory(vault, context, database, replicator), kind, name, offset));
    }

    /// <summary>A log (from an offset on) or a pack of a vault's directory, for a peer.</summary>
    private static IResult ServeFile(string directory, string kind, string name, long? offset)
    {
        var path = ReplicaCopy.OfferedFile(directory, kind, name);
        if (path is null || !File.Exists(path))
        {
            return ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such file");
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        // A log is asked for from where the puller stopped; a pack whole (offset 0).
        var from = offset ?? 0;
        if (from < 0 || from > stream.Length)
        {
            stream.Dispose();
            return ProblemMapping.Problem(StatusCodes.Status400BadRequest, "invalid_input", "offset outside the file");
        }
        return Results.Stream(async body =>
        {
            await using (stream)
            {
                stream.Seek(from, SeekOrigin.Begin);
                await stream.CopyToAsync(body);
            }
        }, "application/octet-stream");
    }

    private static string RecoverableDirectory(string vault, HttpContext context, NodeDatabase database, Replicator replicator) =>
        database.RecoveryGrantsOf(Caller(context).Hex).Contains(vault) && Directory.Exists(replicator.DirectoryOf(vault))
            ? replicator.DirectoryOf(vault)
            : throw new DupaException(ErrorCode.NotFound, "no such vault");

    private static void MapReplicaSide(RouteGroupBuilder protocol) =>
        protocol.MapPost("/replicas/{vault}/audit", (string vault, AuditRequest request, HttpContext context, Replicator replicator) =>
            // Only the device this node replicates the vault from may audit it.
            replicator.SourceOf(vault) == Caller(context).Hex
                ? Results.Ok(Auditor.Answer(replicator.DirectoryOf(vault), request))
                : ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such replica"));

    internal static Core.Crypto.DeviceId Caller(HttpContext context) => NodeIdentity.DeviceIdOf(context.Connection.ClientCertificate!);

    /// <summary>The vault's directory if it is shared with the calling peer; a vault not shared with it does not exist for it.</summary>
    private static string SharedDirectory(string vault, HttpContext context, NodeDatabase database, VaultSessions sessions) =>
        database.SharesWithPeer(Caller(context).Hex).Any(s => s.VaultId == vault)
            ? sessions.DirectoryOf(vault)
            : throw new DupaException(ErrorCode.NotFound, "no such vault");

    /// <summary>
    /// Which peers hold an up-to-date copy of each shared vault: a replica that reports nothing left to fetch for it, or
    /// a connected member whose changes this node pulled completely last time.
    /// </summary>
    private static List<VaultReplicationView> Replication(NodeDatabase database, PeerRegistry peers, Members members)
    {
        var views = new List<VaultReplicationView>();
        var shares = database.AllShares().ToLookup(s => s.VaultId, StringComparer.Ordinal);
        foreach (var vaultId in shares.Select(g => g.Key).Union(database.VaultsWithCopiesWanted(), StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (database.FindVault(vaultId) is not { } vault)
            {
                continue;
            }
            var upToDate = new List<string>();
            var behind = new List<string>();
            foreach (var share in shares[vaultId])
            {
                var state = peers.Get(Core.Crypto.DeviceId.FromHex(share.PeerId));
                var current = share.Role == "replica"
                    ? state?.Replicas.Any(r => r.VaultId == vault.Id && r.BytesBehind == 0 && r.LastError is null) == true
                    : state?.Connected == true && members.All().Any(m => m.VaultId == vault.Id && m.Peer == share.PeerId && m.LastError is null && m.Missing == 0 && m.LastSync is not null);
                (current ? upToDate : behind).Add(Core.Crypto.DeviceId.FromHex(share.PeerId).ToString());
            }
            var wanted = database.CopiesWanted(vault.Id);
            views.Add(new VaultReplicationView(vault.Id, vault.Name, wanted, upToDate, behind, upToDate.Count < wanted));
        }
        return views;
    }

    /// <summary>Throws not-found unless the vault is shared with the calling peer as a member (the key and chunks are for members only).</summary>
    private static void MemberOf(string vault, HttpContext context, NodeDatabase database)
    {
        if (!database.SharesWithPeer(Caller(context).Hex).Any(s => s.VaultId == vault && s.Role == "member"))
        {
            throw new DupaException(ErrorCode.NotFound, "no such vault");
        }
    }

    private static ShareView ShareView(ShareRecord share, PeerRegistry peers) =>
        new(share.VaultId, Core.Crypto.DeviceId.FromHex(share.PeerId).ToString(), peers.Get(Core.Crypto.DeviceId.FromHex(share.PeerId))?.Record.Name ?? "(unpinned)", share.Role, share.AddedAt);

    public static int PeerPort(string peerListen) =>
        PeerRegistry.TryParseAddress(peerListen, out _, out var port)
            ? port
            : throw new DupaException(ErrorCode.InvalidInput, $"--peer-listen '{peerListen}' is not HOST:PORT");

    private static RelayView Relaying(RelayHub relay, RelayListener listener)
    {
        var hub = relay.State;
        return new RelayView(hub.Enabled, hub.Listening, hub.Sessions, hub.SessionsTotal, hub.BytesRelayed, listener.ListeningAt);
    }

    private static PeerView View(PeerState state) =>
        new(Core.Crypto.DeviceId.FromHex(state.Record.DeviceId).ToString(), state.Record.DeviceId, state.Record.Name, state.Record.Address, state.Record.AddedAt,
            state.Connected, state.LastSeen, state.LastError, state.BytesBehind, state.Discovered)
        {
            Relays = state.Relays,
            Via = state.Via is { } via ? Core.Crypto.DeviceId.FromHex(via).ToString() : null,
        };
}
