using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Authentication;
using Dupa.Core.Crypto;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>The answer to <c>GET /peer/v1/hello</c>.</summary>
public sealed record PeerHello(string DeviceId, string Name, int Version, DateTimeOffset Time)
{
    /// <summary>Whether the node relays for its pinned peers (docs/protocol.md, Relaying).</summary>
    public bool Relay { get; init; }
}

/// <summary>
/// Dials every pinned peer and keeps a heartbeat to it (docs/protocol.md, Order of a session): TLS 1.3 with this
/// node's identity as the client certificate, the server's key checked against the pin. A peer without an address,
/// or whose direct dial fails, is reached through a relay (docs/protocol.md, Relaying), with the same TLS end to end.
/// </summary>
public sealed partial class PeerConnector(NodeIdentity identity, PeerRegistry peers, Replicator replicator, Auditor auditor, Data.NodeDatabase database,
    Events.EventHub events, RelayListener relayListener, NodeOptions options, ILogger<PeerConnector> logger) : BackgroundService
{
    public const int ProtocolVersion = 1;

    /// <summary>Released to run a round at once instead of at the next heartbeat; at most one round is owed.</summary>
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Runs a round of heartbeats and replication now: a peer was pinned, or an owner pushed a change.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A round is already owed.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        events.Published += OnVaultEvent;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.WhenAll(peers.All().Select(p => HeartbeatAsync(p, stoppingToken)));
                // Listen at the relays reached in this round; a listen that dropped is opened again here.
                relayListener.Update(peers.All().Where(p => p.UsableAsRelay).Select(p => (DeviceId.FromHex(p.Record.DeviceId), p.DialAddress!)), stoppingToken);
                await _wake.WaitAsync(TimeSpan.FromSeconds(Math.Max(1, options.PeerHeartbeatSeconds)), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node is stopping.
        }
        finally
        {
            events.Published -= OnVaultEvent;
        }
    }

    /// <summary>A vault changed here: tell each peer it is shared with, so its replica pulls now (docs/protocol.md, message 7).</summary>
    private void OnVaultEvent(Events.NodeEvent nodeEvent)
    {
        if (nodeEvent.Vault is not { } vaultId || !nodeEvent.Type.StartsWith("file.", StringComparison.Ordinal))
        {
            return;
        }
        Nudge(vaultId);
    }

    /// <summary>Tells the peers a vault is shared with that it changed (fire and forget: a missed nudge waits for the next heartbeat).</summary>
    public void Nudge(string vaultId)
    {
        // A burst of changes (the files of one upload) makes one nudge to each peer, not one each (each nudge is a TLS
        // handshake, perhaps through a relay): a nudge asked for while one is on its way is sent once that one ends.
        while (!_nudging.TryAdd(vaultId, false))
        {
            if (_nudging.TryUpdate(vaultId, true, false) || (_nudging.TryGetValue(vaultId, out var pending) && pending))
            {
                return;
            }
        }
        _ = Task.Run(async () =>
        {
            try
            {
                do
                {
                    _nudging[vaultId] = false;
                    await Task.WhenAll(NudgePeers(vaultId));
                }
                while (_nudging.TryGetValue(vaultId, out var again) && again);
            }
            finally
            {
                // One asked for between the last check and here is not lost.
                if (_nudging.TryRemove(vaultId, out var again) && again)
                {
                    Nudge(vaultId);
                }
            }
        });
    }

    /// <summary>Per vault: a nudge is on its way (the key), and another was asked for since (the value).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _nudging = new(StringComparer.Ordinal);

    private IEnumerable<Task> NudgePeers(string vaultId)
    {
        foreach (var share in database.SharesOfVault(vaultId))
        {
            var peer = DeviceId.FromHex(share.PeerId);
            // The way the last heartbeat reached the peer: through its relay, or directly.
            if (peers.Get(peer) is { Via: { } via } && peers.Get(DeviceId.FromHex(via)) is { UsableAsRelay: true, DialAddress: { } relayAddress })
            {
                yield return NudgeAsync(RelayClient.CreateClient(identity, relayAddress, DeviceId.FromHex(via), peer), RelayClient.Address, peer, vaultId);
            }
            else if (peers.Get(peer) is { DialAddress: { } address })
            {
                yield return NudgeAsync(CreateClient(identity, peer), address, peer, vaultId);
            }
        }
    }

    private async Task NudgeAsync(HttpClient client, string address, DeviceId peer, string vaultId)
    {
        try
        {
            using var owned = client;
            using var timeout = new CancellationTokenSource(RelayHub.AcceptTimeout + TimeSpan.FromSeconds(5));
            using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{address}/peer/v1/nudge?vault={Uri.EscapeDataString(vaultId)}")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or AuthenticationException)
        {
            var error = e.GetBaseException().Message;
            LogNudgeFailed(logger, peer, error);
        }
    }

    /// <summary>
    /// One round with a peer: a hello directly if it has an address, else (or if that fails) through each relay in
    /// turn, the one that worked last first; then, over whichever connection answered, the round itself.
    /// </summary>
    private async Task HeartbeatAsync(PeerState peer, CancellationToken cancellationToken)
    {
        try
        {
            await HeartbeatWithAsync(peer, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Anything unforeseen with one peer (a vault's files, a bug) fails that peer's round, not the rounds with
            // the others, and not the node: an exception leaving this service would stop the host.
            peers.Failed(DeviceId.FromHex(peer.Record.DeviceId), e.Message);
            LogRoundCrashed(logger, peer.Record.Name, e);
        }
    }

    private async Task HeartbeatWithAsync(PeerState peer, CancellationToken cancellationToken)
    {
        var id = DeviceId.FromHex(peer.Record.DeviceId);
        var failures = new List<string>();
        if (peer.DialAddress is { } address)
        {
            using var client = CreateClient(identity, id);
            if (await HelloAsync(client, address, id, null, failures, cancellationToken))
            {
                await RoundAsync(client, address, id, peer.Record.Name, cancellationToken);
                return;
            }
        }
        if (options.UseRelays)
        {
            foreach (var relay in peers.All().Where(p => p.UsableAsRelay && p.Record.DeviceId != id.Hex).OrderBy(p => p.Record.DeviceId == peer.Via ? 0 : 1))
            {
                var relayId = DeviceId.FromHex(relay.Record.DeviceId);
                using var client = RelayClient.CreateClient(identity, relay.DialAddress!, relayId, id);
                if (await HelloAsync(client, RelayClient.Address, id, relay, failures, cancellationToken))
                {
                    await RoundAsync(client, RelayClient.Address, id, peer.Record.Name, cancellationToken);
                    return;
                }
            }
        }
        // A peer without an address dials this node (as before relays); that no relay reaches it either is no failure,
        // else its own connections and this node's attempts would mark it connected and disconnected by turns.
        if (peer.DialAddress is not null)
        {
            var error = string.Join("; ", failures);
            peers.Failed(id, error);
            LogHeartbeatFailed(logger, peer.Record.Name, error);
        }
    }

    /// <summary>Sends hello and checks the answer names the pinned device; on failure adds why to <paramref name="failures"/>.</summary>
    private async Task<bool> HelloAsync(HttpClient client, string address, DeviceId id, PeerState? relay, List<string> failures, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Through a relay the connection waits for the far side to answer the relay too.
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(relay is null ? 5 : 20, options.PeerHeartbeatSeconds)));
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{address}/peer/v1/hello")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(request, timeout.Token);
            response.EnsureSuccessStatusCode();
            var hello = await response.Content.ReadFromJsonAsync(NodeJson.Default.PeerHello, timeout.Token);
            if (hello?.DeviceId != id.Hex)
            {
                throw new InvalidDataException("the peer's hello names another device");
            }
            peers.Reached(id, relay is null ? null : DeviceId.FromHex(relay.Record.DeviceId), hello.Relay);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsPeerFailure(e))
        {
            var error = e is OperationCanceledException ? "no answer in time" : e.GetBaseException().Message;
            failures.Add(relay is null ? error : $"through relay {relay.Record.Name}: {error}");
            return false;
        }
    }

    /// <summary>After the hello: replication, the peer's report on what it replicates from us, and audits, on the same connection.</summary>
    private async Task RoundAsync(HttpClient client, string address, DeviceId id, string name, CancellationToken cancellationToken)
    {
        try
        {
            // Replication pulls: what the peer shares with this node.
            await replicator.SyncAsync(client, address, id, cancellationToken);
            // What the peer still lacks of the vaults it replicates from us, in its own words.
            using (var behind = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"https://{address}/peer/v1/replicas")
            { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }, cancellationToken))
            {
                var replicas = behind.IsSuccessStatusCode ? await behind.Content.ReadFromJsonAsync(NodeJson.Default.ListReplicaState, cancellationToken) : null;
                peers.ReportedReplicas(id, replicas);
            }
            // And the owner's side: replicas of this node's vaults prove now and then that they still hold them.
            await auditor.AuditAsync(client, address, id, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsPeerFailure(e))
        {
            var error = e is OperationCanceledException ? "no answer in time" : e.GetBaseException().Message;
            peers.Failed(id, error);
            LogHeartbeatFailed(logger, name, error);
        }
    }

    private static bool IsPeerFailure(Exception e) =>
        e is HttpRequestException or IOException or InvalidDataException or System.Text.Json.JsonException or OperationCanceledException or AuthenticationException;

    /// <summary>
    /// Whether a failed request to a peer was the peer refusing this node (its handshake turned our certificate
    /// away, or it cut the connection right after) rather than the peer being out of reach. A refusal can surface
    /// as an authentication error, an I/O error or a reset socket, depending on timing.
    /// </summary>
    public static bool IsRefusal(HttpRequestException e) =>
        e.StatusCode is null && e.HttpRequestError is not HttpRequestError.NameResolutionError
        && e.GetBaseException() is not System.Net.Sockets.SocketException
        {
            SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostUnreachable
                or System.Net.Sockets.SocketError.NetworkUnreachable or System.Net.Sockets.SocketError.TimedOut or System.Net.Sockets.SocketError.HostNotFound,
        };

    /// <summary>An HTTP/2 client that presents this node's identity and accepts only <paramref name="expected"/>'s key.</summary>
    public static HttpClient CreateClient(NodeIdentity identity, DeviceId expected) => new(new SocketsHttpHandler
    {
        SslOptions = SslOptions(identity, expected),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    });

    /// <summary>TLS 1.3 with this node's certificate, accepting only <paramref name="expected"/>'s key: direct, to a relay, and through one.</summary>
    public static SslClientAuthenticationOptions SslOptions(NodeIdentity identity, DeviceId expected) => new()
    {
        ClientCertificates = [identity.Certificate],
        EnabledSslProtocols = SslProtocols.Tls13,
        // The pin is the only trust anchor: chain and host-name errors are expected for self-signed peers.
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && NodeIdentity.DeviceIdOf(certificate) == expected,
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "peer {Peer}: the round failed unexpectedly")]
    private static partial void LogRoundCrashed(ILogger logger, string peer, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {Peer}: the change notice did not arrive ({Error}); it pulls at its next heartbeat")]
    private static partial void LogNudgeFailed(ILogger logger, DeviceId peer, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {Name}: heartbeat failed: {Error}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string name, string error);
}
