using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Dupa.Node.Tests;

public sealed class EventSocketHttp2Tests
{
    /// <summary>Chromium opens WebSockets over HTTP/2 when the page's connection is HTTP/2: a CONNECT request, not GET.</summary>
    [Fact]
    public async Task EventSocket_OverHttp2_ConnectsAndPushes()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.LoginAsync();
        using var client = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(client);

        var expected = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(node.DataDirectory, "tls", "node.pfx"), null);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData) },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        var uri = new UriBuilder(node.BaseAddress) { Scheme = "wss", Path = "/api/v1/events", Query = "access_token=" + token }.Uri;
        await socket.ConnectAsync(uri, invoker, CancellationToken.None);
        Assert.Equal(WebSocketState.Open, socket.State);

        await client.PutAsync($"/api/v1/vaults/{vault}/files/h2.txt", new StringContent("hi"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Contains("\"file.added\"", Encoding.UTF8.GetString(buffer, 0, received.Count), StringComparison.Ordinal);
    }
}
