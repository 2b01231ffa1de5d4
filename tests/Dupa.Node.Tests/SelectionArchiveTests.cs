using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

/// <summary>POST /api/v1/vaults/{id}/archive: several picked files and folders as one zip, through a download ticket.</summary>
public sealed class SelectionArchiveTests
{
    private static async Task Put(HttpClient client, string vault, string path, byte[] content) =>
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files/{Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal)}", new ByteArrayContent(content))).StatusCode);

    [Fact]
    public async Task Select_FilesAndAFolder_ZipsThemWithTheSameBytes_ThroughATicket()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var files = new Dictionary<string, byte[]>
        {
            ["Trip/photo.jpg"] = new SeededRandom(6).NextBytes(2 * 1024 * 1024 + 5),
            ["Trip/notes é.txt"] = Encoding.UTF8.GetBytes("tent, stove"),
            ["Trip/day 2/a.txt"] = Encoding.UTF8.GetBytes("day two"),
            ["Trip/left out.txt"] = Encoding.UTF8.GetBytes("not picked"),
        };
        foreach (var (path, content) in files)
        {
            await Put(client, vault, path, content);
        }

        // "/Trip/day 2/a.txt" is inside a picked folder: it comes once, through that folder.
        var answer = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/archive",
            new { paths = new[] { "/Trip/photo.jpg", "/Trip/notes é.txt", "/Trip/day 2", "/Trip/day 2/a.txt", "/Trip/photo.jpg" } });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var ticket = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("/api/v1/downloads/", ticket.GetProperty("url").GetString(), StringComparison.Ordinal);

        using var anonymous = node.Client();
        var response = await anonymous.GetAsync(ticket.GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Trip (3 items).zip", response.Content.Headers.ContentDisposition!.FileNameStar);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        Assert.Equal(["day 2/", "day 2/a.txt", "notes é.txt", "photo.jpg"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
        {
            using var read = new MemoryStream();
            await using (var stream = await entry.OpenAsync())
            {
                await stream.CopyToAsync(read);
            }
            Assert.Equal(files["Trip/" + entry.FullName], read.ToArray());
        }
    }

    [Fact]
    public async Task Select_AtAPastTime_ZipsTheFilesAsTheyWereThen()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await Put(client, vault, "a.txt", "first"u8.ToArray());
        await Put(client, vault, "b.txt", "bee"u8.ToArray());
        var before = node.Time.GetUtcNow();
        node.Time.Advance(TimeSpan.FromMinutes(5));
        await Put(client, vault, "a.txt", "second"u8.ToArray());

        var ticket = await (await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/archive", new { paths = new[] { "/a.txt", "/b.txt" }, at = before }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var bytes = await node.Client().GetByteArrayAsync(ticket.GetProperty("url").GetString());
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        using var reader = new StreamReader(await zip.GetEntry("a.txt")!.OpenAsync());
        Assert.Equal("first", await reader.ReadToEndAsync());
        Assert.Equal(2, zip.Entries.Count);
    }

    [Theory]
    [InlineData("[]", "at least one")]
    [InlineData("[\"/nothere.txt\"]", "'/nothere.txt' is not in the vault")]
    [InlineData("[\"/a/../b\"]", "")]
    [InlineData("[\"\"]", "empty")]
    [InlineData("[\"/\"]", "whole vault")]
    [InlineData("[\"/one/same.txt\", \"/two/same.txt\"]", "named 'same.txt'")]
    public async Task Select_BadPaths_AreProblemsWithAReason(string paths, string reason)
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await Put(client, vault, "one/same.txt", "1"u8.ToArray());
        await Put(client, vault, "two/same.txt", "2"u8.ToArray());

        var response = await client.PostAsync($"/api/v1/vaults/{vault}/archive", new StringContent($"{{\"paths\":{paths}}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_AnotherUsersVault_IsNotFound_AndAnonymousIsUnauthorized()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        await Put(client, vault, "a.txt", "a"u8.ToArray());
        var body = new { paths = new[] { "/a.txt" } };

        using var stranger = node.Client(await node.CreateUserAsync("mallory", "mallory-password"));
        var response = await stranger.PostAsJsonAsync($"/api/v1/vaults/{vault}/archive", body);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Client().PostAsJsonAsync($"/api/v1/vaults/{vault}/archive", body)).StatusCode);
    }
}
