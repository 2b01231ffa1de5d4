using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class JobTests
{
    [Fact]
    public async Task VerifyJob_RunsInTheBackground_AndReportsAResult()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/a.bin", new ByteArrayContent(new SeededRandom(1).NextBytes(3_000_000)));

        var started = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/jobs", new { kind = "verify" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();

        JsonElement job = default;
        for (var i = 0; i < 200; i++)
        {
            job = JsonDocument.Parse(await client.GetStringAsync(location)).RootElement.Clone();
            if (job.GetProperty("state").GetString() != "running")
            {
                break;
            }
            await Task.Delay(50);
        }
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("result").GetProperty("clean").GetBoolean());
        Assert.Equal(1.0, job.GetProperty("progress").GetDouble());

        using var list = JsonDocument.Parse(await client.GetStringAsync("/api/v1/jobs"));
        Assert.Equal(1, list.RootElement.GetArrayLength());

        var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync(location)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/jobs", new { kind = "format-disk" })).StatusCode);
    }
}
