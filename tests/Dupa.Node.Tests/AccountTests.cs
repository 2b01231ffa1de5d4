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

        // Every user sees their own quota and usage (what the dashboard shows).
        using var me = JsonDocument.Parse(await client.GetStringAsync("/api/v1/auth/me"));
        Assert.Equal(1_000_000, me.RootElement.GetProperty("quotaBytes").GetInt64());
        Assert.InRange(me.RootElement.GetProperty("usedBytes").GetInt64(), 1, 200_000);
    }

    [Fact]
    public async Task ChangePassword_NeedsTheCurrentOne_AndLogsOutOtherSessions()
    {
        await using var node = await TestNode.StartAsync();
        async Task<HttpClient> SessionAsync(string password)
        {
            var cookies = new System.Net.CookieContainer();
            var client = node.Client(cookies: cookies);
            var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var token = (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("accessToken").GetString();
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            client.DefaultRequestHeaders.Add("X-Dupa-CSRF", "1");
            return client;
        }
        using var here = await SessionAsync(TestNode.AdminPassword);
        using var elsewhere = await SessionAsync(TestNode.AdminPassword);

        var wrong = await here.PostAsJsonAsync("/api/v1/auth/password", new { current = "not it", @new = "a brand new password" });
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("application/problem+json", wrong.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, (await here.PostAsJsonAsync("/api/v1/auth/password", new { current = TestNode.AdminPassword, @new = "short" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Client().PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = TestNode.AdminPassword })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await here.PostAsJsonAsync("/api/v1/auth/password", new { current = TestNode.AdminPassword, @new = "a brand new password" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Client().PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = TestNode.AdminPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Client().PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = "a brand new password" })).StatusCode);
        // This session goes on; the other one cannot refresh any more.
        Assert.Equal(HttpStatusCode.OK, (await here.PostAsync("/api/v1/auth/refresh", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.PostAsync("/api/v1/auth/refresh", null)).StatusCode);
    }
}
