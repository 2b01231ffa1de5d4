using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class SearchAndRetentionApiTests
{
    [Fact]
    public async Task Search_Tags_Log_And_Diff_ThroughTheApi()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var png = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3 };
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/Photos/beach.dat", new ByteArrayContent(png))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/docs/notes.txt", new StringContent("v1"))).StatusCode);
        var between = node.Time.GetUtcNow();
        node.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/docs/notes.txt", new StringContent("version two"))).StatusCode);

        var tagged = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/tags", new { path = "/Photos/beach.dat", add = new[] { "family", "2026" } });
        Assert.Equal(HttpStatusCode.OK, tagged.StatusCode);
        var tags = await Json(client, $"/api/v1/vaults/{vault}/tags");
        Assert.Equal(2, tags.GetArrayLength());

        var images = await Json(client, $"/api/v1/vaults/{vault}/search?type=image&tag=FAMILY");
        Assert.Equal(1, images.GetProperty("total").GetInt32());
        var hit = images.GetProperty("hits")[0];
        Assert.Equal("/Photos/beach.dat", hit.GetProperty("path").GetString());
        Assert.Equal("image/png", hit.GetProperty("mime").GetString());
        Assert.Equal(2, (await Json(client, $"/api/v1/vaults/{vault}/search?q=notes&history=true")).GetProperty("total").GetInt32());
        var listing = await Json(client, $"/api/v1/vaults/{vault}/tree/Photos");
        Assert.Equal("family", listing.GetProperty("entries")[0].GetProperty("tags")[1].GetString());

        var log = await Json(client, $"/api/v1/vaults/{vault}/log?path=/docs&limit=1");
        Assert.Equal("put", log[0].GetProperty("action").GetString());
        Assert.Equal(1, log.GetArrayLength());
        var diff = await Json(client, $"/api/v1/vaults/{vault}/diff?from={Uri.EscapeDataString(between.AddSeconds(1).ToString("O"))}");
        Assert.Equal("changed", diff.EnumerateArray().Single(c => c.GetProperty("path").GetString() == "/docs/notes.txt").GetProperty("kind").GetString());

        foreach (var bad in new[] { "search?limit=0", "search?limit=100000", "search?sort=colour", "search?minSize=10&maxSize=5", "search?modifiedAfter=yesterday", "log?offset=-1", "diff?from=never" })
        {
            var response = await client.GetAsync($"/api/v1/vaults/{vault}/{bad}");
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        var tagMissing = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/tags", new { path = "/nope", add = new[] { "x" } });
        Assert.Equal(HttpStatusCode.NotFound, tagMissing.StatusCode);

        var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/vaults/{vault}/search?q=beach")).StatusCode);
    }

    [Fact]
    public async Task Policy_Forget_Gc_AndLocks_ThroughTheApi()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var random = new SeededRandom(9);
        for (var v = 0; v < 5; v++)
        {
            await client.PutAsync($"/api/v1/vaults/{vault}/files/report.bin", new ByteArrayContent(random.NextBytes(200_000)));
            node.Time.Advance(TimeSpan.FromMinutes(1));
        }
        var set = await client.PutAsJsonAsync($"/api/v1/vaults/{vault}/policy", new { trashDays = 7, rules = new[] { new { prefix = "/", last = 2 } } });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(7, (await Json(client, $"/api/v1/vaults/{vault}/policy")).GetProperty("trashDays").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync($"/api/v1/vaults/{vault}/policy", new { trashDays = -1 })).StatusCode);

        var forget = await RunJob(client, vault, new { kind = "forget" });
        Assert.Equal(3, forget.GetProperty("result").GetProperty("dropped").GetArrayLength());
        var gc = await RunJob(client, vault, new { kind = "gc" });
        Assert.True(gc.GetProperty("result").GetProperty("bytesFreed").GetInt64() > 500_000);
        var verify = await RunJob(client, vault, new { kind = "verify" });
        Assert.True(verify.GetProperty("result").GetProperty("clean").GetBoolean());
        Assert.Equal(2, (await Json(client, $"/api/v1/vaults/{vault}/versions/report.bin")).GetArrayLength());

        var locked = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/locks", new { path = "/", until = node.Time.GetUtcNow().AddDays(30) });
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        var delete = await client.DeleteAsync($"/api/v1/vaults/{vault}/files/report.bin");
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Equal("write_once", (await delete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        var overwrite = await client.PutAsync($"/api/v1/vaults/{vault}/files/report.bin", new ByteArrayContent([1]));
        Assert.Equal(HttpStatusCode.Conflict, overwrite.StatusCode);
        var shorter = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/locks", new { path = "/", until = node.Time.GetUtcNow().AddDays(1) });
        Assert.Equal(HttpStatusCode.Conflict, shorter.StatusCode);
        Assert.Equal(2, (await Json(client, $"/api/v1/vaults/{vault}/versions/report.bin")).GetArrayLength());
    }

    [Fact]
    public async Task TrashPastThePolicysPeriod_IsPurgedByTheNextDelete()
    {
        await using var node = await TestNode.StartAsync();
        var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await client.PutAsJsonAsync($"/api/v1/vaults/{vault}/policy", new { trashDays = 1 });
        await client.PutAsync($"/api/v1/vaults/{vault}/files/old.txt", new StringContent("old"));
        await client.PutAsync($"/api/v1/vaults/{vault}/files/new.txt", new StringContent("new"));
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/vaults/{vault}/files/old.txt")).StatusCode);
        node.Time.Advance(TimeSpan.FromDays(2));
        client = node.Client(await node.LoginAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/vaults/{vault}/files/new.txt")).StatusCode);
        var trash = await Json(client, $"/api/v1/vaults/{vault}/trash");
        Assert.Equal("/new.txt", Assert.Single(trash.EnumerateArray()).GetProperty("path").GetString());
    }

    private static async Task<JsonElement> Json(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }

    private static async Task<JsonElement> RunJob(HttpClient client, string vault, object request)
    {
        var started = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/jobs", request);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        for (var i = 0; i < 400; i++)
        {
            var job = await Json(client, started.Headers.Location!.ToString());
            if (job.GetProperty("state").GetString() != "running")
            {
                Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
                return job;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("the job did not finish");
    }
}
