using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dupa.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dupa.Node.Tests;

/// <summary>Port mapping against fake gateways on 127.0.0.1 that speak NAT-PMP (RFC 6886) and UPnP-IGD.</summary>
public sealed class PortMappingTests
{
    [Fact]
    public async Task NatPmp_MapsThePeerPort_AndTheInviteCarriesTheExternalAddress()
    {
        using var gateway = new FakeNatPmp(refuse: false);
        var peerPort = Waiting.FreePort();
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.PeerListen = $"127.0.0.1:{peerPort}";
            o.PortMapping = "natpmp";
            o.Gateway = $"127.0.0.1:{gateway.Port}";
        });
        using var client = node.Client(await node.LoginAsync());
        await Waiting.UntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("portMapping") is { ValueKind: JsonValueKind.Object } m
            && m.GetProperty("external").GetString() == $"203.0.113.7:{peerPort}");
        Assert.Contains(gateway.Requests, r => r.Opcode == 0);
        // A request unanswered for 250 ms is sent again (RFC 6886, 3.1), which a loaded machine can cause: each is the same.
        var maps = gateway.Requests.Where(r => r.Opcode == 2).ToList();
        Assert.NotEmpty(maps);
        Assert.All(maps, map => Assert.Equal((peerPort, peerPort, 3600u), (map.InternalPort, map.ExternalPort, map.Lifetime)));

        var invite = await (await client.PostAsJsonAsync("/api/v1/peers/invites", new { })).Content.ReadFromJsonAsync<JsonElement>();
        var payload = JsonDocument.Parse(Convert.FromBase64String(Base64Url(invite.GetProperty("code").GetString()!["dupa-invite:".Length..]))).RootElement;
        Assert.Equal($"203.0.113.7:{peerPort}", payload.GetProperty("address").GetString());
    }

    [Fact]
    public async Task NatPmp_ARefusingGateway_IsReported()
    {
        using var gateway = new FakeNatPmp(refuse: true);
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.PeerListen = $"127.0.0.1:{Waiting.FreePort()}";
            o.PortMapping = "natpmp";
            o.Gateway = $"127.0.0.1:{gateway.Port}";
        });
        using var client = node.Client(await node.LoginAsync());
        await Waiting.UntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("portMapping") is { ValueKind: JsonValueKind.Object } m
            && m.GetProperty("lastError").GetString()?.Contains("refused", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Upnp_FindsTheGatewayBySsdp_AndAddsTheMapping()
    {
        await using var gateway = await FakeUpnpGateway.StartAsync();
        var peerPort = Waiting.FreePort();
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.PeerListen = $"127.0.0.1:{peerPort}";
            o.PortMapping = "upnp";
            o.SsdpAddress = $"127.0.0.1:{gateway.SsdpPort}";
        });
        using var client = node.Client(await node.LoginAsync());
        await Waiting.UntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("portMapping") is { ValueKind: JsonValueKind.Object } m
            && m.GetProperty("external").GetString() == $"198.51.100.9:{peerPort}");
        var added = Assert.Single(gateway.Actions, a => a.Contains("AddPortMapping", StringComparison.Ordinal));
        Assert.Contains($"<NewInternalPort>{peerPort}</NewInternalPort>", added, StringComparison.Ordinal);
        Assert.Contains("<NewInternalClient>127.0.0.1</NewInternalClient>", added, StringComparison.Ordinal);
        Assert.Contains("<NewProtocol>TCP</NewProtocol>", added, StringComparison.Ordinal);
        Assert.Contains("ssdp:discover", gateway.Searches.Single(), StringComparison.Ordinal);
    }

    /// <summary>An SSDP answer pointing at another host than its sender is not followed (no request is made there).</summary>
    [Fact]
    public async Task Upnp_AnAnswerPointingAtAnotherHost_IsIgnored()
    {
        await using var gateway = await FakeUpnpGateway.StartAsync(locationHost: "127.0.0.2");
        await using var node = await TestNode.StartAsync(configure: o =>
        {
            o.PeerListen = $"127.0.0.1:{Waiting.FreePort()}";
            o.PortMapping = "upnp";
            o.SsdpAddress = $"127.0.0.1:{gateway.SsdpPort}";
        });
        using var client = node.Client(await node.LoginAsync());
        await Waiting.UntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("portMapping") is { ValueKind: JsonValueKind.Object } m
            && m.GetProperty("lastError").GetString()?.Contains("no gateway answered", StringComparison.Ordinal) == true);
        Assert.NotEmpty(gateway.Searches);
        Assert.Empty(gateway.Actions);
    }

    private static string Base64Url(string text) => text.Replace('-', '+').Replace('_', '/') + new string('=', (4 - text.Length % 4) % 4);

    private sealed record NatPmpRequest(int Opcode, int InternalPort, int ExternalPort, uint Lifetime);

    /// <summary>A NAT-PMP gateway: the external address 203.0.113.7, and every mapping granted as asked (or every request refused).</summary>
    private sealed class FakeNatPmp : IDisposable
    {
        private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();

        public FakeNatPmp(bool refuse)
        {
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var received = await _socket.ReceiveAsync(_stop.Token);
                    var request = received.Buffer;
                    var answer = new byte[request[1] == 0 ? 12 : 16];
                    answer[1] = (byte)(request[1] + 128);
                    BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(2), (ushort)(refuse ? 2 : 0));
                    BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), 1000);
                    if (request[1] == 0)
                    {
                        Requests.Add(new NatPmpRequest(0, 0, 0, 0));
                        IPAddress.Parse("203.0.113.7").TryWriteBytes(answer.AsSpan(8), out _);
                    }
                    else
                    {
                        var internalPort = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(4));
                        var externalPort = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(6));
                        var lifetime = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8));
                        Requests.Add(new NatPmpRequest(request[1], internalPort, externalPort, lifetime));
                        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(8), internalPort);
                        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(10), externalPort);
                        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(12), lifetime);
                    }
                    await _socket.SendAsync(answer, received.RemoteEndPoint);
                }
            });
        }

        public int Port => ((IPEndPoint)_socket.Client.LocalEndPoint!).Port;

        public ConcurrentBag<NatPmpRequest> Requests { get; } = [];

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
        }
    }

    /// <summary>A UPnP internet gateway: answers SSDP searches, serves its description, and takes SOAP actions.</summary>
    private sealed class FakeUpnpGateway : IAsyncDisposable
    {
        private readonly UdpClient _ssdp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();
        private WebApplication _http = null!;

        public int SsdpPort => ((IPEndPoint)_ssdp.Client.LocalEndPoint!).Port;

        public ConcurrentQueue<string> Searches { get; } = [];

        public ConcurrentQueue<string> Actions { get; } = [];

        public static async Task<FakeUpnpGateway> StartAsync(string locationHost = "127.0.0.1")
        {
            var gateway = new FakeUpnpGateway();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapGet("/desc.xml", () => Results.Text("""
                <?xml version="1.0"?>
                <root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
                <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><deviceList><device>
                <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><serviceList><service>
                <serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl/IPConn</controlURL>
                </service></serviceList></device></deviceList></device></deviceList></device></root>
                """, "text/xml"));
            app.MapPost("/ctl/IPConn", async (HttpContext context) =>
            {
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                gateway.Actions.Enqueue(context.Request.Headers["SOAPAction"] + " " + body);
                var action = body.Contains("GetExternalIPAddress", StringComparison.Ordinal)
                    ? "<u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewExternalIPAddress>198.51.100.9</NewExternalIPAddress></u:GetExternalIPAddressResponse>"
                    : "<u:AddPortMappingResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"/>";
                return Results.Text($"<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>{action}</s:Body></s:Envelope>", "text/xml");
            });
            await app.StartAsync();
            gateway._http = app;
            var location = app.Urls.First().Replace("127.0.0.1", locationHost, StringComparison.Ordinal) + "/desc.xml";
            _ = Task.Run(async () =>
            {
                while (!gateway._stop.IsCancellationRequested)
                {
                    var received = await gateway._ssdp.ReceiveAsync(gateway._stop.Token);
                    gateway.Searches.Enqueue(Encoding.ASCII.GetString(received.Buffer));
                    var answer = $"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: {location}\r\n\r\n";
                    await gateway._ssdp.SendAsync(Encoding.ASCII.GetBytes(answer), received.RemoteEndPoint);
                }
            });
            return gateway;
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _ssdp.Dispose();
            await _http.DisposeAsync();
        }
    }
}
