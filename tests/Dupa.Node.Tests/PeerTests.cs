using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

/// <summary>Identity, pinning and the mutual-TLS peer port between real nodes on 127.0.0.1 (docs/protocol.md).</summary>
public sealed class PeerTests
{
    [Fact]
    public async Task TwoNodesThatPinEachOther_Connect_AndAnUnpinnedNodeIsRefused()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        await using var stranger = await StartAsync();
        using var clientA = a.Node.Client(await a.Node.LoginAsync());
        using var clientB = b.Node.Client(await b.Node.LoginAsync());
        using var clientStranger = stranger.Node.Client(await stranger.Node.LoginAsync());
        var idA = await IdAsync(clientA);
        var idB = await IdAsync(clientB);

        // A pins B, but B has not pinned A yet: B's handshake refuses A.
        Assert.Equal(HttpStatusCode.OK, (await clientA.PostAsJsonAsync("/api/v1/peers", new { deviceId = idB, address = $"127.0.0.1:{b.PeerPort}", name = "b" })).StatusCode);
        await Waiting.UntilAsync(async () => (await PeerAsync(clientA, "b")).GetProperty("lastError").GetString() is not null);
        Assert.False((await PeerAsync(clientA, "b")).GetProperty("connected").GetBoolean());

        // Once both pin each other, both see the other connected within a few heartbeats.
        Assert.Equal(HttpStatusCode.OK, (await clientB.PostAsJsonAsync("/api/v1/peers", new { deviceId = idA, address = $"127.0.0.1:{a.PeerPort}", name = "a" })).StatusCode);
        await Waiting.UntilAsync(async () => (await PeerAsync(clientA, "b")).GetProperty("connected").GetBoolean() && (await PeerAsync(clientB, "a")).GetProperty("connected").GetBoolean());

        // A node that pinned A, but that A never pinned, stays refused.
        await clientStranger.PostAsJsonAsync("/api/v1/peers", new { deviceId = idA, address = $"127.0.0.1:{a.PeerPort}", name = "a" });
        await Waiting.UntilAsync(async () => (await PeerAsync(clientStranger, "a")).GetProperty("lastError").GetString() is not null);
        Assert.False((await PeerAsync(clientStranger, "a")).GetProperty("connected").GetBoolean());

        // No certificate at all: the handshake fails. The peer routes do not exist on the API port.
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeWithoutCertificateAsync(a.PeerPort));
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.GetAsync("/peer/v1/hello")).StatusCode);

        // Unpinned again, B is refused again.
        Assert.Equal(HttpStatusCode.NoContent, (await clientA.DeleteAsync($"/api/v1/peers/{Uri.EscapeDataString(idB)}")).StatusCode);
        await Waiting.UntilAsync(async () => !(await PeerAsync(clientB, "a")).GetProperty("connected").GetBoolean());
    }

    [Fact]
    public async Task PeerRoutes_BadInput_IsA4xxProblem_NeverA500()
    {
        await using var a = await StartAsync();
        using var clientA = a.Node.Client(await a.Node.LoginAsync());
        var idA = (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceIdHex").GetString()!;
        // A pinned peer of A's, as a node identity of its own, that the vault is shared with as a member.
        using var data = new TempDirectory();
        using var identity = Dupa.Node.Peers.NodeIdentity.LoadOrCreate(data.Path, TimeProvider.System);
        Assert.Equal(HttpStatusCode.OK, (await clientA.PostAsJsonAsync("/api/v1/peers", new { deviceId = identity.Id.ToString(), name = "m" })).StatusCode);
        var vault = await TestNode.CreateVaultAsync(clientA, "family");
        var other = await TestNode.CreateVaultAsync(clientA, "not shared");
        Assert.Equal(HttpStatusCode.OK, (await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = identity.Id.ToString(), role = "member" })).StatusCode);
        using var peer = Dupa.Node.Peers.PeerConnector.CreateClient(identity, Core.Crypto.DeviceId.FromHex(idA));
        var root = $"https://127.0.0.1:{a.PeerPort}/peer/v1";

        async Task ExpectAsync(HttpStatusCode status, HttpRequestMessage request)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            using var response = await peer.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        HttpRequestMessage Key(string vaultId, string json) => new(HttpMethod.Post, $"{root}/vaults/{vaultId}/key") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };

        await ExpectAsync(HttpStatusCode.BadRequest, Key(vault, """{"agreementKey": "not base64!"}"""));
        await ExpectAsync(HttpStatusCode.BadRequest, Key(vault, """{"agreementKey": "AAAA"}"""));
        await ExpectAsync(HttpStatusCode.BadRequest, Key(vault, """{}"""));
        await ExpectAsync(HttpStatusCode.BadRequest, Key(vault, """{"agreementKey": """));
        await ExpectAsync(HttpStatusCode.NotFound, Key(other, $$"""{"agreementKey": "{{Convert.ToBase64String(identity.Agreement.PublicKey)}}"}"""));
        await ExpectAsync(HttpStatusCode.NotFound, Key("..%2F..%2Fetc", $$"""{"agreementKey": "{{Convert.ToBase64String(identity.Agreement.PublicKey)}}"}"""));
        await ExpectAsync(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/chunks/xyz"));
        await ExpectAsync(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/chunks/{new string('A', 64)}"));
        await ExpectAsync(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/chunks/{new string('a', 64)}"));
        await ExpectAsync(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{other}/manifest"));
        await ExpectAsync(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/logs/..%2F..%2Fvault.hdr"));
        using var manifest = await peer.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/manifest") { Version = HttpVersion.Version20 });
        var log = (await manifest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("logs")[0].GetProperty("device").GetString();
        await ExpectAsync(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/logs/{log}?offset=-5"));
        await ExpectAsync(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/logs/{log}?offset=99999999"));
        await ExpectAsync(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, $"{root}/vaults/{vault}/logs/{log}?offset=abc"));
        await ExpectAsync(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Get, $"{root}/recover/{vault}/manifest"));
        await ExpectAsync(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Post, $"{root}/replicas/{vault}/audit") { Content = JsonContent.Create(new { nonce = "AA==", ranges = Array.Empty<object>() }) });
    }

    [Fact]
    public async Task PinningChecksTheDeviceId_AndIsForAdminsOnly()
    {
        await using var a = await StartAsync();
        using var admin = a.Node.Client(await a.Node.LoginAsync());
        var own = await IdAsync(admin);
        var typo = own[..3] + (own[3] == 'A' ? 'B' : 'A') + own[4..];
        foreach (var bad in new[] { "", "hello", typo, own })
        {
            var response = await admin.PostAsJsonAsync("/api/v1/peers", new { deviceId = bad });
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {response.StatusCode}");
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/api/v1/peers", new { deviceId = new string('a', 64), address = "no port" })).StatusCode);
        var user = a.Node.Client(await a.Node.CreateUserAsync("bob", "bob-password"));
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/api/v1/peers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsJsonAsync("/api/v1/peers", new { deviceId = new string('a', 64) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/v1/node/id")).StatusCode);
    }

    [Fact]
    public async Task AnInviteCode_PairsBothNodes_Once()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        await using var c = await StartAsync();
        using var clientA = a.Node.Client(await a.Node.LoginAsync());
        using var clientB = b.Node.Client(await b.Node.LoginAsync());
        using var clientC = c.Node.Client(await c.Node.LoginAsync());

        var invite = await (await clientA.PostAsJsonAsync("/api/v1/peers/invites", new { })).Content.ReadFromJsonAsync<JsonElement>();
        var code = invite.GetProperty("code").GetString()!;
        Assert.StartsWith("dupa-invite:", code, StringComparison.Ordinal);

        var joined = await clientB.PostAsJsonAsync("/api/v1/peers/join", new { code, name = "a" });
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        var idB = await IdAsync(clientB);
        Assert.Contains((await clientA.GetFromJsonAsync<JsonElement>("/api/v1/peers")).EnumerateArray(), p => p.GetProperty("deviceId").GetString() == idB);
        await Waiting.UntilAsync(async () => (await PeerAsync(clientA, (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/peers"))[0].GetProperty("name").GetString()!)).GetProperty("connected").GetBoolean()
            && (await PeerAsync(clientB, "a")).GetProperty("connected").GetBoolean());

        // The code worked once: a third node cannot use it again, nor a made-up one, and is not pinned by A.
        Assert.Equal(HttpStatusCode.Forbidden, (await clientC.PostAsJsonAsync("/api/v1/peers/join", new { code })).StatusCode);
        var forged = code[..^4] + "AAAA";
        Assert.NotEqual(HttpStatusCode.OK, (await clientC.PostAsJsonAsync("/api/v1/peers/join", new { code = forged })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await clientC.PostAsJsonAsync("/api/v1/peers/join", new { code = "hello" })).StatusCode);
        Assert.Single((await clientA.GetFromJsonAsync<JsonElement>("/api/v1/peers")).EnumerateArray());
    }

    private sealed record PeerNode(TestNode Node, int PeerPort) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }

    private static async Task<PeerNode> StartAsync()
    {
        var port = Waiting.FreePort();
        var node = await TestNode.StartAsync(configure: o =>
        {
            o.PeerListen = $"127.0.0.1:{port}";
            o.PeerHeartbeatSeconds = 1;
        });
        return new PeerNode(node, port);
    }

    private static async Task<string> IdAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString()!;

    private static async Task<JsonElement> PeerAsync(HttpClient client, string name) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    private static async Task HandshakeWithoutCertificateAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        // Only the server's refusal matters here, so its (self-signed) certificate is accepted as long as there is one.
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate is not null);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "peer", ApplicationProtocols = [SslApplicationProtocol.Http2] });
        // TLS 1.3 reports a refused client certificate on the first read.
        await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        var buffer = new byte[1];
        if (await tls.ReadAsync(buffer) == 0)
        {
            throw new IOException("closed");
        }
    }
}
