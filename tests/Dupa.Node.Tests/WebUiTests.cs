using System.Net;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class WebUiTests
{
    private static TempDirectory BuiltUi()
    {
        var dist = new TempDirectory("dupa-web-");
        Directory.CreateDirectory(dist.Combine("assets"));
        File.WriteAllText(dist.Combine("index.html"), "<!doctype html><title>D.U.P.A</title><script type=\"module\" src=\"/assets/app-1.js\"></script>");
        File.WriteAllText(dist.Combine("assets", "app-1.js"), "console.log('app')");
        return dist;
    }

    [Fact]
    public async Task WebUi_ServesAssetsAndFallsBackToIndexForAppPaths()
    {
        using var dist = BuiltUi();
        await using var node = await TestNode.StartAsync(configure: o => o.WebRoot = dist.Path);
        using var client = node.Client();
        Assert.Contains($"web UI from {dist.Path}", node.Console.ToString(), StringComparison.Ordinal);

        foreach (var path in new[] { "/", "/settings", "/v/abc/files/Photos/2024/img.jpg", "/v/abc/files/my.folder" })
        {
            var page = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
            Assert.Contains("D.U.P.A", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var csp = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        }
        var asset = await client.GetAsync("/assets/app-1.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Contains("immutable", asset.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebUi_NeverAnswersForTheApi_UnknownApiPathsStayProblems()
    {
        using var dist = BuiltUi();
        await using var node = await TestNode.StartAsync(configure: o => o.WebRoot = dist.Path);
        using var client = node.Client();
        foreach (var path in new[] { "/api/v1/nothing", "/api/v1/vaults/x/nothing/here", "/openapi/v2", "/favicon.ico", "/assets/missing.js" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }
        // An API route asked with the wrong method is not the app either.
        var wrongMethod = await client.GetAsync("/api/v1/auth/login");
        Assert.False(wrongMethod.IsSuccessStatusCode);
        Assert.Equal("application/problem+json", wrongMethod.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task WebUi_MissingBuild_NodeStillRunsAndSaysSo()
    {
        using var empty = new TempDirectory("dupa-web-empty-");
        await using var node = await TestNode.StartAsync(configure: o => o.WebRoot = empty.Path);
        using var client = node.Client();
        Assert.Contains("no web UI", node.Console.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }
}
