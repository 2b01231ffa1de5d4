using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dupa.Node.Tests;

public sealed class AccountTests
{
    [Fact]
    public async Task Signup_NeedsAnUnusedInvite_ByDefault()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Client();
        var refused = await anonymous.PostAsJsonAsync("/api/v1/auth/signup", new { username = "carol", password = "carol-password" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var admin = node.Client(await node.LoginAsync());
        using var invite = JsonDocument.Parse(await (await admin.PostAsJsonAsync("/api/v1/invites", new { expiresInDays = 1 })).Content.ReadAsStringAsync());
        var code = invite.RootElement.GetProperty("invite").GetString();

        var ok = await anonymous.PostAsJsonAsync("/api/v1/auth/signup", new { username = "carol", password = "carol-password", invite = code });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var reused = await anonymous.PostAsJsonAsync("/api/v1/auth/signup", new { username = "dave", password = "dave-password", invite = code });
        Assert.Equal(HttpStatusCode.Forbidden, reused.StatusCode);
        await node.LoginAsync("carol", "carol-password");
    }

    [Fact]
    public async Task Quota_RefusesAnUploadThatWouldExceedIt_AndWritesNothing()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Client(await node.LoginAsync());
        var token = await node.CreateUserAsync("erin", "erin-password");
        using var users = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/users"));
        var erin = users.RootElement.EnumerateArray().Single(u => u.GetProperty("username").GetString() == "erin").GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync($"/api/v1/users/{erin}/quota", new { quotaBytes = 1_000_000 })).StatusCode);

        using var client = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(client);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/small.bin", new ByteArrayContent(new byte[100_000]))).StatusCode);
        var tooBig = await client.PutAsync($"/api/v1/vaults/{vault}/files/big.bin", new ByteArrayContent(new byte[2_000_000]));
        Assert.Equal(HttpStatusCode.InsufficientStorage, tooBig.StatusCode);
        Assert.Contains("quota_exceeded", await tooBig.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/vaults/{vault}/files/big.bin")).StatusCode);
    }
}
