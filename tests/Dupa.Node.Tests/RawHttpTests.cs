using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Dupa.Node.Tests;

/// <summary>Requests no well-behaved client would send, written byte by byte over TLS.</summary>
public sealed class RawHttpTests
{
    [Fact]
    public async Task HugeHeaders_AreRefusedWith431()
    {
        await using var node = await TestNode.StartAsync();
        var response = await SendAsync(node, $"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: {new string('a', 64 * 1024)}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 431", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodyShorterThanItsContentLength_StoresNothing()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.LoginAsync();
        using var client = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(client);

        // Announce 1 MB, send 1 KB, then hang up.
        await SendAsync(node, $"PUT /api/v1/vaults/{vault}/files/short.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 1000000\r\n\r\n{new string('z', 1024)}", readResponse: false);

        for (var i = 0; i < 50; i++)
        {
            using var tree = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/tree/"));
            Assert.Equal(0, tree.RootElement.GetProperty("entries").GetArrayLength());
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// A client that announces a body and then stalls is cut off by the minimum data rate (Kestrel's 240 bytes/s
    /// after a 5 s grace), the vault is free again, and nothing is stored.
    /// </summary>
    [Fact]
    public async Task ClientThatStallsMidUpload_IsCutOff_AndStoresNothing()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.LoginAsync();
        using var client = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(client);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var response = await SendAsync(node, $"PUT /api/v1/vaults/{vault}/files/stalled.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 1000000\r\n\r\n{new string('z', 1024)}",
            readTimeout: TimeSpan.FromSeconds(60));
        Assert.True(response.Length == 0 || response.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), response);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(45), $"cut off after {started.Elapsed}");

        // The vault is usable again, and the stalled upload left nothing.
        var put = await client.PutAsync($"/api/v1/vaults/{vault}/files/after.txt", new StringContent("fine"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var tree = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/tree/"));
        Assert.Equal(["after.txt"], tree.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task GarbageRequestLine_Gets400()
    {
        await using var node = await TestNode.StartAsync();
        var response = await SendAsync(node, "BLAH \0\0 nonsense\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
    }

    private static async Task<string> SendAsync(TestNode node, string request, bool readResponse = true, TimeSpan? readTimeout = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, node.BaseAddress.Port);
        var expected = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(node.DataDirectory, "tls", "node.pfx"), null);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [SslApplicationProtocol.Http11] });
        await tls.WriteAsync(Encoding.UTF8.GetBytes(request));
        await tls.FlushAsync();
        if (!readResponse)
        {
            return "";
        }
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(readTimeout ?? TimeSpan.FromSeconds(10));
        try
        {
            var n = await tls.ReadAsync(buffer, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (IOException)
        {
            // The server reset the connection: no response at all.
            return "";
        }
    }
}
