using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Dupa.Node.Tests.Sharing;

/// <summary>A node with an owner and a vault, and helpers to share it and watch events.</summary>
internal static class SharingTestKit
{
    public static async Task ShareAsync(HttpClient owner, string vault, string username, string role)
    {
        var response = await owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/{username}", new { role });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<ClientWebSocket> ConnectAsync(TestNode node, string token)
    {
        var expected = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(node.DataDirectory, "tls", "node.pfx"), null);
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData);
        var uri = new UriBuilder(node.BaseAddress) { Scheme = "wss", Path = "/api/v1/events", Query = "access_token=" + token }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return socket;
    }

    public static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count)).RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<string> ProblemCodeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString()!;
    }
}
