using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dupa.Node.Peers;
using Dupa.Testing;

namespace Dupa.Node.Tests;

/// <summary>Local discovery (docs/protocol.md, Finding peers): pinned peers without an address find each other.</summary>
public sealed class DiscoveryTests
{
    [Fact]
    public async Task PinnedPeersWithoutAddresses_FindEachOther_AndConnect()
    {
        var (peerA, peerB, udpA, udpB) = (Waiting.FreePort(), Waiting.FreePort(), FreeUdpPort(), FreeUdpPort());
        // Each node announces to the other's discovery port on loopback, as a broadcast would on a LAN.
        await using var a = await TestNode.StartAsync(configure: o => Discover(o, peerA, udpA, udpB));
        await using var b = await TestNode.StartAsync(configure: o => Discover(o, peerB, udpB, udpA));
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        var idA = (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceIdHex").GetString()!;
        var idB = (await clientB.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceIdHex").GetString()!;

        // Heard, but not pinned: nothing changes.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty((await clientA.GetFromJsonAsync<JsonElement>("/api/v1/peers")).EnumerateArray());

        Assert.Equal(HttpStatusCode.OK, (await clientA.PostAsJsonAsync("/api/v1/peers", new { deviceId = idB })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await clientB.PostAsJsonAsync("/api/v1/peers", new { deviceId = idA })).StatusCode);
        await Waiting.UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/peers"))[0] is var peer
            && peer.GetProperty("connected").GetBoolean() && peer.GetProperty("discovered").GetString() == $"127.0.0.1:{peerB}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"magic\":\"other/1\",\"deviceId\":\"" + Hex + "\",\"port\":22000}")]
    [InlineData("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"short\",\"port\":22000}")]
    [InlineData("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"" + Hex + "\",\"port\":0}")]
    [InlineData("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"" + Hex + "\",\"port\":70000}")]
    [InlineData("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"" + HexUpper + "\",\"port\":22000}")]
    public void Parse_RefusesAnythingButAnAnnouncement(string datagram) =>
        Assert.Null(LocalDiscovery.Parse(Encoding.UTF8.GetBytes(datagram)));

    [Fact]
    public void Parse_ReadsAnAnnouncement_AndRefusesAnOversizedOne()
    {
        var announcement = LocalDiscovery.Parse(Encoding.UTF8.GetBytes("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"" + Hex + "\",\"port\":22000}"));
        Assert.Equal(new DiscoveryAnnouncement(DiscoveryAnnouncement.CurrentMagic, Hex, 22000), announcement);
        Assert.Null(LocalDiscovery.Parse(Encoding.UTF8.GetBytes("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"" + Hex + "\",\"port\":22000,\"pad\":\"" + new string('x', 600) + "\"}")));
    }

    [Fact]
    public void Announcement_IsTheDocumentedJson_AndParses()
    {
        // docs/protocol.md, Local discovery: the names are camelCase (the node sent Magic, DeviceId, Port before).
        var datagram = LocalDiscovery.Announcement(Hex, 22000);

        Assert.Equal("{\"magic\":\"dupa-discovery/1\",\"deviceId\":\"" + Hex + "\",\"port\":22000}", Encoding.UTF8.GetString(datagram));
        Assert.Equal(new DiscoveryAnnouncement(DiscoveryAnnouncement.CurrentMagic, Hex, 22000), LocalDiscovery.Parse(datagram));
    }

    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string HexUpper = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";

    private static void Discover(NodeOptions options, int peerPort, int listen, int announceTo)
    {
        options.PeerListen = $"127.0.0.1:{peerPort}";
        options.PeerHeartbeatSeconds = 1;
        options.LocalDiscovery = true;
        options.DiscoveryPort = listen;
        options.DiscoveryTargets = $"127.0.0.1:{announceTo}";
        options.DiscoveryIntervalSeconds = 1;
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(0, AddressFamily.InterNetwork);
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}
