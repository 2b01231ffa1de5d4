using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dupa.Core.Crypto;
using Dupa.Core.Replication;
using Dupa.Node.Peers;
using Dupa.Testing;

namespace Dupa.Node.Tests;

/// <summary>
/// Peers that cannot dial each other, reaching each other through a third node both pinned (docs/protocol.md,
/// Relaying). "Cannot dial" is real: each pins the other at a port where nothing listens.
/// </summary>
public sealed class RelayTests
{
    [Fact]
    public async Task ThroughARelay_AReplicaAndAMemberSyncBitIdentical_AndTheRelayHoldsNoPlaintext()
    {
        await using var c = await StartAsync(relay: true);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        var nowhere = Waiting.FreePort();
        await PinAsync(a, c, $"127.0.0.1:{c.PeerPort}");
        await PinAsync(b, c, $"127.0.0.1:{c.PeerPort}");
        await PinAsync(c, a, address: null);
        await PinAsync(c, b, address: null);
        await PinAsync(a, b, $"127.0.0.1:{nowhere}");
        await PinAsync(b, a, $"127.0.0.1:{nowhere}");

        // A replica: B pulls A's vault through C.
        var photos = await TestNode.CreateVaultAsync(a.Client, "photos", "vault passphrase");
        var random = new SeededRandom(71);
        var files = new Dictionary<string, byte[]>
        {
            // More than Kestrel's 16 MiB request body limit, which a relayed WebSocket must not be held to.
            ["/Relayed/harbour-at-midnight-confidential.jpg"] = random.NextBytes(18_000_000),
            ["/Relayed/letter-to-the-accountant.txt"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the safe's combination is 31-17-4; ", 300))),
        };
        foreach (var (path, content) in files)
        {
            await PutAsync(a.Client, photos, path, content);
        }
        Assert.Equal(HttpStatusCode.OK, (await a.Client.PostAsJsonAsync($"/api/v1/vaults/{photos}/shares", new { peer = b.Id, role = "replica" })).StatusCode);
        var owner = Path.Combine(a.Node.DataDirectory, "vaults", photos);
        var replica = new ReplicaCopy(Path.Combine(b.Node.DataDirectory, "replicas", photos));
        await UntilAsync(() => Task.FromResult(Directory.Exists(replica.Directory) && replica.BytesBehind(ReplicaCopy.Offer(owner)) == 0), a, b, c);
        Assert.Empty(replica.Verify());
        foreach (var pack in Directory.EnumerateFiles(Path.Combine(owner, "packs"), "*.pack", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(replica.Directory, Path.GetRelativePath(owner, pack));
            Assert.Equal(await File.ReadAllBytesAsync(pack), await File.ReadAllBytesAsync(copy));
        }

        // A member: B joins, reads every byte, writes; A reads B's write. Both directions go through C.
        var family = await TestNode.CreateVaultAsync(a.Client, "family", "another passphrase");
        files["/Shared/recipe-for-grandmothers-cake.txt"] = Encoding.UTF8.GetBytes("three eggs, no more, and the secret is cardamom; " + new string('x', 100));
        await PutAsync(a.Client, family, "/Shared/recipe-for-grandmothers-cake.txt", files["/Shared/recipe-for-grandmothers-cake.txt"]);
        Assert.Equal(HttpStatusCode.OK, (await a.Client.PostAsJsonAsync($"/api/v1/vaults/{family}/shares", new { peer = b.Id, role = "member" })).StatusCode);
        await UntilAsync(async () => await TryGetAsync(b.Client, family, "/Shared/recipe-for-grandmothers-cake.txt") is { } bytes
            && bytes.AsSpan().SequenceEqual(files["/Shared/recipe-for-grandmothers-cake.txt"]), a, b, c);
        files["/Shared/written-on-bob-s-machine.txt"] = Encoding.UTF8.GetBytes("bob's reply: use less sugar than the recipe says, trust me");
        await PutAsync(b.Client, family, "/Shared/written-on-bob-s-machine.txt", files["/Shared/written-on-bob-s-machine.txt"]);
        await UntilAsync(async () => await TryGetAsync(a.Client, family, "/Shared/written-on-bob-s-machine.txt") is { } bytes
            && bytes.AsSpan().SequenceEqual(files["/Shared/written-on-bob-s-machine.txt"]), a, b, c);

        // Each side shows the other as connected through C; C shows both listening and what it relayed.
        var peerOfA = (await StatusAsync(a)).GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("deviceId").GetString() == b.Id);
        Assert.True(peerOfA.GetProperty("connected").GetBoolean());
        Assert.Equal(c.Id, peerOfA.GetProperty("via").GetString());
        var relayOfA = (await StatusAsync(a)).GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("deviceId").GetString() == c.Id);
        Assert.True(relayOfA.GetProperty("relays").GetBoolean());
        Assert.Equal(JsonValueKind.Null, relayOfA.GetProperty("via").ValueKind);
        Assert.Contains(c.Id, (await StatusAsync(b)).GetProperty("relay").GetProperty("listeningAt").EnumerateArray().Select(x => x.GetString()));
        // Both listen at the relay; a listen being opened again (the relay closes an idle one) is briefly absent.
        await Waiting.UntilAsync(async () => (await StatusAsync(c)).GetProperty("relay").GetProperty("listening").EnumerateArray().Select(x => x.GetString()!)
            .Order(StringComparer.Ordinal).SequenceEqual(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal)));
        var relay = (await StatusAsync(c)).GetProperty("relay");
        Assert.True(relay.GetProperty("enabled").GetBoolean());
        Assert.True(relay.GetProperty("bytesRelayed").GetInt64() > files.Values.Sum(f => (long)f.Length) / 4, relay.ToString());
        Assert.True(relay.GetProperty("sessionsTotal").GetInt64() >= 2, relay.ToString());
        Assert.Contains("relay: session", c.Node.Logs.ToString(), StringComparison.Ordinal);

        // Nothing C stores or logs holds a name or a 16-byte run of any file.
        var needles = files.Keys.SelectMany(p => p.Split('/', StringSplitOptions.RemoveEmptyEntries)).Where(n => n.Length >= 8).Select(Encoding.UTF8.GetBytes)
            .Concat(files.Values.SelectMany(content => new[] { content[..16], content[(content.Length / 2)..(content.Length / 2 + 16)] }))
            .Append(Encoding.UTF8.GetBytes(photos)).Append(Encoding.UTF8.GetBytes(family)).ToList();
        foreach (var file in Directory.EnumerateFiles(c.Node.DataDirectory, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.All(needles, needle => Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} contains '{Encoding.UTF8.GetString(needle)}'"));
        }
        var log = Encoding.UTF8.GetBytes(c.Node.Logs.ToString());
        Assert.All(needles, needle => Assert.True(log.AsSpan().IndexOf(needle) < 0, $"the relay's log contains '{Encoding.UTF8.GetString(needle)}'"));
        Assert.False(Directory.Exists(Path.Combine(c.Node.DataDirectory, "replicas")));
    }

    [Fact]
    public async Task TheRelay_RefusesWhatItMust_AndTheTargetChecksTheCallerEndToEnd()
    {
        await using var c = await StartAsync(relay: true);
        await using var off = await StartAsync(relay: false);
        await using var b = await StartAsync();
        using var identities = new TempDirectory("dupa-relay-identities-");
        using var caller = NodeIdentity.LoadOrCreate(Path.Combine(identities.Path, "caller"), TimeProvider.System);
        using var stranger = NodeIdentity.LoadOrCreate(Path.Combine(identities.Path, "stranger"), TimeProvider.System);
        using var absent = NodeIdentity.LoadOrCreate(Path.Combine(identities.Path, "absent"), TimeProvider.System);
        await PinAsync(c, caller.Id.ToString(), address: null);
        await PinAsync(off, caller.Id.ToString(), address: null);
        await PinAsync(c, absent.Id.ToString(), address: null);
        await PinAsync(c, b, address: null);
        await PinAsync(b, c, $"127.0.0.1:{c.PeerPort}");
        var relayAt = $"127.0.0.1:{c.PeerPort}";
        var cId = DeviceId.FromHex(c.Hex);
        var bId = DeviceId.FromHex(b.Hex);
        await UntilAsync(async () => (await StatusAsync(c)).GetProperty("relay").GetProperty("listening").EnumerateArray().Any(x => x.GetString() == b.Id), b, c);

        // A target the relay has not pinned; one it pinned that does not listen; the caller itself; not a device ID.
        Assert.Equal(404, (await RefusalAsync(() => RelayClient.ConnectAsync(caller, relayAt, cId, stranger.Id, CancellationToken.None))).StatusCode);
        Assert.Equal(409, (await RefusalAsync(() => RelayClient.ConnectAsync(caller, relayAt, cId, absent.Id, CancellationToken.None))).StatusCode);
        Assert.Equal(400, (await RefusalAsync(() => RelayClient.ConnectAsync(caller, relayAt, cId, caller.Id, CancellationToken.None))).StatusCode);
        Assert.Equal(400, (await RefusalAsync(async () => await RelayClient.OpenAsync(caller, relayAt, cId, "/peer/v1/relay/connect/not-a-device-id", false, CancellationToken.None))).StatusCode);
        // A session that was never offered, or offered to someone else, cannot be taken.
        Assert.Equal(404, (await RefusalAsync(async () => await RelayClient.OpenAsync(caller, relayAt, cId, $"/peer/v1/relay/accept/{new string('0', 32)}", false, CancellationToken.None))).StatusCode);
        // A node with relaying off refuses to connect and to listen.
        var offAt = $"127.0.0.1:{off.PeerPort}";
        Assert.Equal(403, (await RefusalAsync(() => RelayClient.ConnectAsync(caller, offAt, DeviceId.FromHex(off.Hex), bId, CancellationToken.None))).StatusCode);
        Assert.Equal(403, (await RefusalAsync(async () => await RelayClient.OpenAsync(caller, offAt, DeviceId.FromHex(off.Hex), "/peer/v1/relay/listen", true, CancellationToken.None))).StatusCode);
        // A caller the relay has not pinned does not get past its handshake.
        var unpinned = await Assert.ThrowsAnyAsync<Exception>(() => RelayClient.ConnectAsync(stranger, relayAt, cId, bId, CancellationToken.None));
        Assert.IsNotType<RelayRefusedException>(unpinned);
        var logC = c.Node.Logs.ToString();
        Assert.Contains("has not pinned that device", logC, StringComparison.Ordinal);
        Assert.Contains("is not listening at this relay", logC, StringComparison.Ordinal);
        Assert.Contains("this node does not relay", off.Node.Logs.ToString(), StringComparison.Ordinal);

        // The relay lets the caller through to B, but B has not pinned it: B's own handshake refuses it, end to end.
        using (var client = RelayClient.CreateClient(caller, relayAt, cId, bId))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => HelloAsync(client));
        }
        Assert.Contains($"device {caller.Id} is not pinned", b.Node.Logs.ToString(), StringComparison.Ordinal);

        // Once B pins it, the same relayed connection works, and the caller checked B's key, not the relay's.
        await PinAsync(b, caller.Id.ToString(), address: null);
        using (var client = RelayClient.CreateClient(caller, relayAt, cId, bId))
        {
            Assert.Equal(b.Hex, (await HelloAsync(client)).DeviceId);
        }
        // A relay that spliced the session to another node than the one the caller pinned would fail the caller's check.
        using (var misled = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = PeerConnector.SslOptions(caller, cId),
            ConnectCallback = async (_, cancellationToken) => await RelayClient.ConnectAsync(caller, relayAt, cId, bId, cancellationToken),
        }))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => HelloAsync(misled));
        }

        // Through a relayed connection B's peer port is no more open than directly: no API, no metrics for loopback.
        using (var client = RelayClient.CreateClient(caller, relayAt, cId, bId))
        {
            foreach (var path in new[] { "/metrics", "/api/v1/status", "/healthz" })
            {
                using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"https://{RelayClient.Address}{path}") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }
    }

    [Fact]
    public async Task ADroppedRelayConnection_IsOpenedAgain_AndReplicationCarriesOn()
    {
        await using var c = await StartAsync(relay: true);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        await using var network = new TcpProxy(c.PeerPort);
        var nowhere = Waiting.FreePort();
        await PinAsync(a, c, $"127.0.0.1:{network.Port}");
        await PinAsync(b, c, $"127.0.0.1:{network.Port}");
        await PinAsync(c, a, address: null);
        await PinAsync(c, b, address: null);
        await PinAsync(a, b, $"127.0.0.1:{nowhere}");
        await PinAsync(b, a, $"127.0.0.1:{nowhere}");
        var vault = await TestNode.CreateVaultAsync(a.Client, "photos", "vault passphrase");
        await PutAsync(a.Client, vault, "/before.bin", new SeededRandom(72).NextBytes(300_000));
        await a.Client.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = b.Id, role = "replica" });
        var owner = Path.Combine(a.Node.DataDirectory, "vaults", vault);
        var replica = new ReplicaCopy(Path.Combine(b.Node.DataDirectory, "replicas", vault));
        await UntilAsync(() => Task.FromResult(Directory.Exists(replica.Directory) && replica.BytesBehind(ReplicaCopy.Offer(owner)) == 0), a, b, c);

        // The network drops every connection to C, listens and sessions alike, a few times over.
        for (var drop = 0; drop < 3; drop++)
        {
            var accepted = network.Accepted;
            network.DropAll();
            await PutAsync(a.Client, vault, $"/after-drop-{drop}.bin", new SeededRandom((ulong)(73 + drop)).NextBytes(200_000));
            // The next rounds open new connections; the change still reaches the replica through C.
            await UntilAsync(() => Task.FromResult(network.Accepted > accepted && replica.BytesBehind(ReplicaCopy.Offer(owner)) == 0), a, b, c);
        }
        await UntilAsync(async () => (await StatusAsync(c)).GetProperty("relay").GetProperty("listening").GetArrayLength() == 2, a, b, c);
        Assert.Empty(replica.Verify());
        Assert.Contains("stopped listening at relay", b.Node.Logs.ToString(), StringComparison.Ordinal);
    }

    private sealed record RelayNode(TestNode Node, int PeerPort, HttpClient Client, string Id, string Hex) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Node.DisposeAsync();
        }
    }

    private static async Task<RelayNode> StartAsync(bool relay = false)
    {
        var port = Waiting.FreePort();
        var node = await TestNode.StartAsync(configure: o =>
        {
            o.PeerListen = $"127.0.0.1:{port}";
            o.PeerHeartbeatSeconds = 1;
            o.Relay = relay;
        });
        var client = node.Client(await node.LoginAsync());
        var id = await client.GetFromJsonAsync<JsonElement>("/api/v1/node/id");
        return new RelayNode(node, port, client, id.GetProperty("deviceId").GetString()!, id.GetProperty("deviceIdHex").GetString()!);
    }

    private static Task PinAsync(RelayNode at, RelayNode peer, string? address) => PinAsync(at, peer.Id, address);

    private static async Task PinAsync(RelayNode at, string id, string? address) =>
        Assert.Equal(HttpStatusCode.OK, (await at.Client.PostAsJsonAsync("/api/v1/peers", new { deviceId = id, address })).StatusCode);

    private static async Task<JsonElement> StatusAsync(RelayNode node) => await node.Client.GetFromJsonAsync<JsonElement>("/api/v1/status");

    private static async Task PutAsync(HttpClient client, string vault, string path, byte[] content) =>
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files{path}", new ByteArrayContent(content))).StatusCode);

    private static async Task<byte[]?> TryGetAsync(HttpClient client, string vault, string path)
    {
        using var response = await client.GetAsync($"/api/v1/vaults/{vault}/files{path}");
        return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync() : null;
    }

    private static async Task<PeerHello> HelloAsync(HttpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"https://{RelayClient.Address}/peer/v1/hello")
        { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }, timeout.Token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<PeerHello>(timeout.Token))!;
    }

    private static async Task<RelayRefusedException> RefusalAsync(Func<Task> open)
    {
        try
        {
            await open();
        }
        catch (RelayRefusedException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("the relay did not refuse");
    }

    /// <summary>Waits (30 s at most) for a condition; on a timeout, fails with every node's status and log.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, params RelayNode[] nodes)
    {
        try
        {
            await Waiting.UntilAsync(condition, 30);
        }
        catch (TimeoutException)
        {
            var report = new StringBuilder();
            foreach (var node in nodes)
            {
                report.Append(FormattableString.Invariant($"--- {node.Id[..7]} status: {await node.Client.GetStringAsync("/api/v1/status")}\nlog:\n{node.Node.Logs}\n"));
            }
            Assert.Fail(report.ToString());
        }
    }
}
