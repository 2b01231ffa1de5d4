using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dupa.Testing;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

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
    public async Task WebUi_ApiGetsWithQueryArrays_StillReachTheirEndpoints()
    {
        // The request delegate generator once declared the search's string[] tag a JSON body: with the web UI's
        // catch-all route mapped, every search without a body then matched nothing and answered 404.
        using var dist = BuiltUi();
        await using var node = await TestNode.StartAsync(configure: o => o.WebRoot = dist.Path);
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/Photos/beach.jpg", new StringContent("sand"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/tags", new { path = "/Photos/beach.jpg", add = new[] { "family" } })).StatusCode);

        // As 'dupa find --remote' asks.
        var search = await client.GetAsync($"/api/v1/vaults/{vault}/search?q=beach&under=%2F&sort=Path&desc=False&history=False&trash=False&limit=100&offset=0&tag=family&tag=FAMILY");
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        using var found = JsonDocument.Parse(await search.Content.ReadAsStringAsync());
        Assert.Equal("/Photos/beach.jpg", found.RootElement.GetProperty("hits")[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task Endpoints_NoGetOrHeadDeclaresARequestBody()
    {
        await using var node = await TestNode.StartAsync();
        var endpoints = node.Services.GetRequiredService<EndpointDataSource>().Endpoints;
        Assert.Contains(endpoints, e => e.DisplayName?.Contains("/search", StringComparison.Ordinal) == true);
        var withBody = endpoints
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Any(m => m is "GET" or "HEAD") == true
                && e.Metadata.GetMetadata<IAcceptsMetadata>() is not null)
            .Select(e => e.DisplayName)
            .ToList();
        Assert.Empty(withBody);
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
