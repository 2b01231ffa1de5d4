using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class ArchiveTests
{
    [Fact]
    public async Task Archive_Folder_StreamsAZipOfItsTreeWithTheSameBytes()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var big = new SeededRandom(5).NextBytes(3 * 1024 * 1024 + 11);
        var files = new Dictionary<string, byte[]>
        {
            ["Photos/2024/big.bin"] = big,
            ["Photos/2024/empty.txt"] = [],
            ["Photos/notes é.txt"] = Encoding.UTF8.GetBytes("hello"),
            ["Other/outside.txt"] = Encoding.UTF8.GetBytes("not in the zip"),
        };
        foreach (var (path, content) in files)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/{Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal)}", new ByteArrayContent(content))).StatusCode);
        }

        using var response = await client.GetAsync($"/api/v1/vaults/{vault}/archive/Photos", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Photos.zip", response.Content.Headers.ContentDisposition!.FileNameStar);
        // Streamed as it is read: no Content-Length known in advance.
        Assert.Null(response.Content.Headers.ContentLength);

        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        Assert.Equal(["Photos/2024/", "Photos/2024/big.bin", "Photos/2024/empty.txt", "Photos/notes é.txt"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
        {
            using var read = new MemoryStream();
            await using (var stream = await entry.OpenAsync())
            {
                await stream.CopyToAsync(read);
            }
            Assert.Equal(files[entry.FullName], read.ToArray());
        }
    }

    [Fact]
    public async Task Archive_AtAPastTime_HoldsTheFolderAsItWasThen()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/docs/a.txt", new StringContent("first"));
        var before = node.Time.GetUtcNow();
        node.Time.Advance(TimeSpan.FromMinutes(5));
        await client.PutAsync($"/api/v1/vaults/{vault}/files/docs/a.txt", new StringContent("second"));
        await client.PutAsync($"/api/v1/vaults/{vault}/files/docs/b.txt", new StringContent("later"));

        var bytes = await client.GetByteArrayAsync($"/api/v1/vaults/{vault}/archive/docs?at={Uri.EscapeDataString(before.ToString("O"))}");
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var entry = Assert.Single(zip.Entries);
        Assert.Equal("docs/a.txt", entry.FullName);
        using var reader = new StreamReader(await entry.OpenAsync());
        Assert.Equal("first", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Archive_WholeVault_AndBadRequests_AreProblems()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await client.PutAsync($"/api/v1/vaults/{vault}/files/a/b.txt", new StringContent("b"));

        var all = await client.GetAsync($"/api/v1/vaults/{vault}/archive/");
        Assert.Equal("vault.zip", all.Content.Headers.ContentDisposition!.FileNameStar);
        using (var zip = new ZipArchive(new MemoryStream(await all.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read))
        {
            Assert.Equal(["a/", "a/b.txt"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        }

        var missing = await client.GetAsync($"/api/v1/vaults/{vault}/archive/nothere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
        var file = await client.GetAsync($"/api/v1/vaults/{vault}/archive/a/b.txt");
        Assert.Equal(HttpStatusCode.BadRequest, file.StatusCode);

        using var stranger = node.Client(await node.CreateUserAsync("mallory", "mallory-password"));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/v1/vaults/{vault}/archive/")).StatusCode);
        using var anonymous = node.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/vaults/{vault}/archive/")).StatusCode);

        await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/lock", new { });
        Assert.Equal((HttpStatusCode)423, (await client.GetAsync($"/api/v1/vaults/{vault}/archive/")).StatusCode);
    }
}
