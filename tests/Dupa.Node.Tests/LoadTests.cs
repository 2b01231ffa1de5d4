using System.Diagnostics;
using System.Net;

namespace Dupa.Node.Tests;

/// <summary>Runs alone, so that other tests' allocations do not blur the heap measurement.</summary>
[CollectionDefinition(nameof(LoadTests), DisableParallelization = true)]
public sealed class LoadTestsCollection;

[Collection(nameof(LoadTests))]
public sealed class LoadTests
{
    /// <summary>10,000 authenticated downloads from a second process (curl, 16 in parallel): no error, memory flat.</summary>
    [Fact]
    public async Task TenThousandRequestsFromASecondProcess_NoErrorAndFlatMemory()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.RequestsPerSecond = 100_000);
        var token = await node.LoginAsync();
        using var client = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(client);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/page.html", new ByteArrayContent(new byte[10_000]));

        // Warm up, then measure the managed heap around the run.
        await RunCurl(node, token, vault, 2_000);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var statuses = await RunCurl(node, token, vault, 10_000);
        var after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(10_000, statuses.Count);
        Assert.All(statuses, status => Assert.Equal("200", status));
        Assert.True(after - before < 32 * 1024 * 1024, $"the heap grew by {(after - before) / 1024 / 1024} MiB over 10,000 requests");
    }

    [Fact]
    public async Task PerUserRateLimit_RefusesTheBurstBeyondTheBucket()
    {
        await using var node = await TestNode.StartAsync(configure: o => o.RequestsPerSecond = 2);
        using var client = node.Client();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            statuses.Add((await client.GetAsync("/healthz")).StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
    }

    private static async Task<List<string>> RunCurl(TestNode node, string token, string vault, int requests)
    {
        var url = new Uri(node.BaseAddress, $"/api/v1/vaults/{vault}/files/page.html").ToString();
        var config = Path.Combine(node.DataDirectory, "urls.cfg");
        await File.WriteAllLinesAsync(config, Enumerable.Range(0, requests).SelectMany(_ => new[] { $"url = \"{url}\"", "output = \"/dev/null\"" }));
        var info = new ProcessStartInfo("curl", ["--silent", "--insecure", "--parallel", "--parallel-max", "16", "--header", $"Authorization: Bearer {token}",
            "--write-out", "%{http_code}\n", "--config", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("curl is needed (apt-get install curl)");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
