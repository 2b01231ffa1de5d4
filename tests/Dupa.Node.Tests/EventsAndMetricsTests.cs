using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class EventsAndMetricsTests
{
    [Fact]
    public async Task EventSocket_PushesChangesToTheOwnerOnly()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.LoginAsync();
        var otherToken = await node.CreateUserAsync("bob", "bob-password");
        using var client = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(client);

        using var owner = await ConnectAsync(node, token);
        using var other = await ConnectAsync(node, otherToken);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/new.txt", new StringContent("hi"));
        await client.DeleteAsync($"/api/v1/vaults/{vault}/files/new.txt");

        var added = await ReceiveAsync(owner);
        Assert.Equal("file.added", added.GetProperty("type").GetString());
        Assert.Equal("/new.txt", added.GetProperty("path").GetString());
        Assert.Equal(vault, added.GetProperty("vault").GetString());
        Assert.Equal("file.deleted", (await ReceiveAsync(owner)).GetProperty("type").GetString());

        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => other.ReceiveAsync(new byte[1024], quiet.Token));
    }

    [Fact]
    public async Task EventSocket_WithoutToken_IsRefused()
    {
        await using var node = await TestNode.StartAsync();
        await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(node, null));
    }

    [Fact]
    public async Task Metrics_CountRequestsAndFailedLogins()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client();
        await client.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = "wrong-password" });
        await client.GetAsync("/healthz");

        var text = await client.GetStringAsync("/metrics");

        Assert.Contains("# TYPE dupa_http_requests counter", text, StringComparison.Ordinal);
        Assert.Contains("dupa_http_requests_total{method=\"GET\",status=\"200\"}", text, StringComparison.Ordinal);
        Assert.Contains("dupa_logins_failed_total 1", text, StringComparison.Ordinal);
        Assert.Contains("dupa_http_request_duration_seconds_bucket{method=\"POST\",status=\"401\",le=\"+Inf\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("dupa_users 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_ShowStoredBytes_DedupRatio_AndJobDurations()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var content = new Dupa.Testing.SeededRandom(3).NextBytes(500_000);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/a.bin", new ByteArrayContent(content));
        await client.PutAsync($"/api/v1/vaults/{vault}/files/copy.bin", new ByteArrayContent(content));
        var job = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/jobs", new { kind = "verify" });
        await Waiting.UntilAsync(async () => !(await client.GetStringAsync(job.Headers.Location!.ToString())).Contains("\"running\"", StringComparison.Ordinal));

        var text = await client.GetStringAsync("/metrics");

        Assert.Contains("dupa_logical_bytes 1000000", text, StringComparison.Ordinal);
        var stored = long.Parse(text.Split('\n').Single(l => l.StartsWith("dupa_stored_bytes ", StringComparison.Ordinal))[18..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stored, 500_000, 600_000);
        var ratio = double.Parse(text.Split('\n').Single(l => l.StartsWith("dupa_dedup_ratio ", StringComparison.Ordinal))[17..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ratio, 1.6, 2.0);
        Assert.Contains("dupa_job_duration_seconds_count{kind=\"verify\",state=\"succeeded\"} 1", text, StringComparison.Ordinal);
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestNode node, string? token)
    {
        var expected = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(node.DataDirectory, "tls", "node.pfx"), null);
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData);
        var uri = new UriBuilder(node.BaseAddress) { Scheme = "wss", Path = "/api/v1/events", Query = token is null ? "" : "access_token=" + token }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return socket;
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count)).RootElement.Clone();
    }
}
