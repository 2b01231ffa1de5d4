using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class NodeApiTests
{
    [Fact]
    public async Task Health_IsAnonymousAndStartPrintsTheFingerprint()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Contains("certificate SHA-256 fingerprint", node.Console.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api-docs/index.html")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_EveryOperationHasASummary_AndBodiesHaveExamples()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var operations = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "patch" or "delete" or "head"))
            {
                operations++;
                Assert.True(operation.Value.TryGetProperty("summary", out var summary) && summary.GetString()!.Length > 10, $"{operation.Name} {path.Name} has no summary");
            }
        }
        Assert.True(operations > 30, $"only {operations} operations documented");
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        foreach (var name in new[] { "LoginRequest", "CreateVaultRequest", "CreateUploadRequest", "LoginResponse", "ArchiveRequest" })
        {
            Assert.True(schemas.GetProperty(name).TryGetProperty("examples", out _), $"{name} has no example");
        }
    }

    [Fact]
    public async Task OpenApi_MadeAtTheFirstRequest_IsTheNodesDocument()
    {
        await using var node = await TestNode.StartAsync();
        // The OpenAPI services live in a container of their own, made at the document's first request, not in the node's.
        Assert.Null(node.Services.GetService(typeof(Microsoft.AspNetCore.Mvc.ApiExplorer.IApiDescriptionGroupCollectionProvider)));
        using var client = node.Client();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;
        Assert.Equal("D.U.P.A node API", root.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal(node.BaseAddress.ToString().TrimEnd('/'), root.GetProperty("servers")[0].GetProperty("url").GetString()!.TrimEnd('/'));
        // Handlers' services (the database here) are not request parameters: the API explorer sees the node's registrations.
        var readyz = root.GetProperty("paths").GetProperty("/readyz").GetProperty("get");
        Assert.False(readyz.TryGetProperty("requestBody", out _));
        Assert.False(readyz.TryGetProperty("parameters", out _));
        var login = root.GetProperty("paths").GetProperty("/api/v1/auth/login").GetProperty("post");
        Assert.True(login.TryGetProperty("requestBody", out _));
        Assert.False(root.GetProperty("paths").TryGetProperty("/openapi/{documentName}.json", out _));
        // As the framework's endpoint did: document names in any case, and a 404 for an unknown one.
        Assert.Equal(document.RootElement.GetRawText(), JsonDocument.Parse(await client.GetStringAsync("/openapi/V1.json")).RootElement.GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/openapi/v2.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api-docs/index.html")).StatusCode);
    }

    [Fact]
    public async Task Authentication_WithoutDataProtection_ChecksBearerTokens()
    {
        await using var node = await TestNode.StartAsync();
        // The scheme is registered without ASP.NET Core's data protection, which nothing in the node uses.
        Assert.Null(node.Services.GetService(typeof(Microsoft.AspNetCore.DataProtection.IDataProtectionProvider)));
        using var anonymous = node.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/vaults")).StatusCode);
        using var forged = node.Client("dupa_not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/v1/vaults")).StatusCode);
        using var client = node.Client(await node.LoginAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/vaults")).StatusCode);
    }

    [Fact]
    public async Task Setup_WithoutAdminEnvironment_PrintsAOneTimeTokenThatWorksOnce()
    {
        await using var node = await TestNode.StartAsync(withAdmin: false);
        var token = node.Console.ToString().Split(' ', '\n').Select(w => w.Trim()).First(w => w.Length == 32 && w.All(Uri.IsHexDigit));
        using var client = node.Client();
        var wrong = await client.PostAsJsonAsync("/api/v1/auth/setup", new { token = new string('0', 32), username = "root", password = "long enough" });
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        var ok = await client.PostAsJsonAsync("/api/v1/auth/setup", new { token, username = "root", password = "long enough" });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var again = await client.PostAsJsonAsync("/api/v1/auth/setup", new { token, username = "root2", password = "long enough" });
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        await node.LoginAsync("root", "long enough");
    }

    [Fact]
    public async Task UploadThenDownload_BitIdentical_WithRangeAndETag()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var content = new SeededRandom(11).NextBytes(20 * 1024 * 1024 + 7);

        var put = await client.PutAsync($"/api/v1/vaults/{vault}/files/Photos/big.bin", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var get = await client.GetAsync($"/api/v1/vaults/{vault}/files/Photos/big.bin");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
        var etag = get.Headers.ETag!;

        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/vaults/{vault}/files/Photos/big.bin");
        ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(5_000_000, 5_000_099);
        var partial = await client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content.AsSpan(5_000_000, 100).ToArray(), await partial.Content.ReadAsByteArrayAsync());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/vaults/{vault}/files/Photos/big.bin");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);

        using var listing = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/tree/Photos"));
        Assert.Equal("big.bin", listing.RootElement.GetProperty("entries")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task VersionsTrashAndMove_ThroughTheApi()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/notes.txt", new StringContent("one"));
        await client.PutAsync($"/api/v1/vaults/{vault}/files/notes.txt", new StringContent("two!"));

        using (var versions = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/versions/notes.txt")))
        {
            Assert.Equal(2, versions.RootElement.GetArrayLength());
        }
        Assert.Equal("one", await client.GetStringAsync($"/api/v1/vaults/{vault}/files/notes.txt?version=1"));
        Assert.True((await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/restore-version", new { path = "/notes.txt", version = 1 })).IsSuccessStatusCode);
        Assert.Equal("one", await client.GetStringAsync($"/api/v1/vaults/{vault}/files/notes.txt"));

        Assert.True((await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/move", new { from = "/notes.txt", to = "/docs/renamed.txt" })).IsSuccessStatusCode);
        Assert.Equal("one", await client.GetStringAsync($"/api/v1/vaults/{vault}/files/docs/renamed.txt"));

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/vaults/{vault}/files/docs/renamed.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/vaults/{vault}/files/docs/renamed.txt")).StatusCode);
        using (var trash = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/trash")))
        {
            var item = trash.RootElement[0].GetProperty("id").GetString();
            Assert.True((await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/trash/{item}/restore", new { })).IsSuccessStatusCode);
        }
        Assert.Equal("one", await client.GetStringAsync($"/api/v1/vaults/{vault}/files/docs/renamed.txt"));
    }

    [Fact]
    public async Task AccessMatrix_RefusesWithoutLeaking()
    {
        await using var node = await TestNode.StartAsync();
        var adminToken = await node.LoginAsync();
        var aliceToken = await node.CreateUserAsync("alice", "alice-password");
        using var alice = node.Client(aliceToken);
        var vault = await TestNode.CreateVaultAsync(alice);
        await alice.PutAsync($"/api/v1/vaults/{vault}/files/secret.txt", new StringContent("alice's secret"));
        var url = $"/api/v1/vaults/{vault}/files/secret.txt";

        using var anonymous = node.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
        using var garbage = node.Client("not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.GetAsync(url)).StatusCode);
        using var admin = node.Client(adminToken);
        var adminAttempt = await admin.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, adminAttempt.StatusCode);
        Assert.DoesNotContain("secret", await adminAttempt.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("[]", await admin.GetStringAsync("/api/v1/vaults"));

        var bobToken = await node.CreateUserAsync("bob", "bob-password");
        using var bob = node.Client(bobToken);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/api/v1/users")).StatusCode);

        // A read-only API token reads but cannot write; once revoked it does nothing.
        var created = await alice.PostAsJsonAsync("/api/v1/tokens", new { name = "backup script", scopes = "read" });
        using var createdJson = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var readOnly = createdJson.RootElement.GetProperty("token").GetString()!;
        using var script = node.Client(readOnly);
        Assert.Equal("alice's secret", await script.GetStringAsync(url));
        Assert.Equal(HttpStatusCode.Forbidden, (await script.PutAsync(url, new StringContent("overwritten"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/v1/tokens/{createdJson.RootElement.GetProperty("id").GetString()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync(url)).StatusCode);

        // An access token stops working when it expires.
        node.Time.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Unauthorized, (await alice.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task RefreshToken_Rotates_AndReuseRevokesTheSession()
    {
        await using var node = await TestNode.StartAsync();
        var cookies = new CookieContainer();
        using var client = node.Client(cookies: cookies);
        await node.LoginAsync(client: client);
        var first = cookies.GetCookies(new Uri(node.BaseAddress, "/api/v1/auth/refresh")).Single(c => c.Name == "dupa_refresh");
        Assert.True(first.HttpOnly && first.Secure);

        var noCsrf = await client.PostAsync("/api/v1/auth/refresh", null);
        Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);

        client.DefaultRequestHeaders.Add("X-Dupa-CSRF", "1");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/auth/refresh", null)).StatusCode);

        // Replaying the first (now used) refresh token ends the whole session family.
        using var thief = node.Client();
        thief.DefaultRequestHeaders.Add("X-Dupa-CSRF", "1");
        thief.DefaultRequestHeaders.Add("Cookie", $"dupa_refresh={first.Value}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await thief.PostAsync("/api/v1/auth/refresh", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/v1/auth/refresh", null)).StatusCode);
    }

    [Fact]
    public async Task BruteForce_TheEleventhWrongPasswordIsRefusedUnchecked()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client();
        for (var i = 0; i < 10; i++)
        {
            var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = $"guess-{i}" });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        for (var i = 0; i < 10; i++)
        {
            var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = TestNode.AdminPassword });
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }
        node.Time.Advance(TimeSpan.FromMinutes(2));
        await node.LoginAsync();
    }

    [Fact]
    public async Task BadInput_Gets4xxProblemJsonAndWritesNothing()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);

        async Task Expect(HttpResponseMessage response, HttpStatusCode status)
        {
            Assert.True(status == response.StatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.True("application/problem+json" == response.Content.Headers.ContentType?.MediaType, $"{response.RequestMessage?.RequestUri}: {response.Content.Headers.ContentType}");
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.True(json.RootElement.TryGetProperty("code", out _));
        }

        await Expect(await client.PostAsync("/api/v1/vaults", new StringContent("{not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await Expect(await client.PostAsync("/api/v1/vaults", new StringContent("name=x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await Expect(await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/move", new { from = "/a", to = "/../etc" }), HttpStatusCode.BadRequest);
        // Kestrel itself refuses a NUL in the request target, before any handler runs.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsync($"/api/v1/vaults/{vault}/files/a%00b", new StringContent("x"))).StatusCode);
        await Expect(await client.PutAsync($"/api/v1/vaults/{vault}/files/a%01b", new StringContent("x")), HttpStatusCode.BadRequest);
        await Expect(await client.PutAsync($"/api/v1/vaults/{vault}/files/{new string('n', 300)}", new StringContent("x")), HttpStatusCode.BadRequest);
        await Expect(await client.GetAsync($"/api/v1/vaults/{vault}/files/missing"), HttpStatusCode.NotFound);
        await Expect(await client.GetAsync("/api/v1/no/such/endpoint"), HttpStatusCode.NotFound);
        await Expect(await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { passphrase = "wrong" }), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/v1/vaults/{vault}/lock", null)).StatusCode);
        await Expect(await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { passphrase = "wrong" }), HttpStatusCode.Forbidden);
        await Expect(await client.GetAsync($"/api/v1/vaults/{vault}/tree/"), HttpStatusCode.Locked);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { passphrase = "vault passphrase" })).StatusCode);

        using var tree = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/tree/"));
        Assert.Equal(0, tree.RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task DroppedUpload_LeavesNothing()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);

        var content = new StreamContent(new FailingStream(new SeededRandom(3).NextBytes(3 * 1024 * 1024), failAfter: 2 * 1024 * 1024));
        await Assert.ThrowsAnyAsync<Exception>(() => client.PutAsync($"/api/v1/vaults/{vault}/files/partial.bin", content));

        // The node notices the aborted request and rolls back; give it a moment.
        for (var i = 0; i < 50; i++)
        {
            using var tree = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/tree/"));
            Assert.Equal(0, tree.RootElement.GetProperty("entries").GetArrayLength());
            await Task.Delay(20);
        }
        using var stats = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/vaults/{vault}/stats"));
        Assert.Equal(0, stats.RootElement.GetProperty("packs").GetInt32());
    }

    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAfter)
            {
                throw new IOException("the connection dropped");
            }
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, 65536)], cancellationToken);
        }
    }
}
