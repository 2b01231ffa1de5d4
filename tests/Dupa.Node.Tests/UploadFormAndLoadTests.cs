using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class UploadFormAndLoadTests
{
    [Fact]
    public async Task MultipartForm_WithAFolder_StoresEachFileUnderItsRelativePath()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        using var form = new MultipartFormDataContent();
        var photo = new SeededRandom(5).NextBytes(300_000);
        form.Add(new ByteArrayContent(photo), "files", "Photos/2024/beach.jpg");
        form.Add(new StringContent("notes"), "files", "Photos/notes.txt");

        var response = await client.PostAsync($"/api/v1/vaults/{vault}/upload?dir=/Family", form);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(photo, await client.GetByteArrayAsync($"/api/v1/vaults/{vault}/files/Family/Photos/2024/beach.jpg"));
        Assert.Equal("notes", await client.GetStringAsync($"/api/v1/vaults/{vault}/files/Family/Photos/notes.txt"));

        // One form is one commit: a single new log entry for both files, so they share packs.
        var log = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/vaults/{vault}/log");
        Assert.Contains("beach.jpg", log.ToString(), StringComparison.Ordinal);

        // A malformed form is a 400 with a problem body and stores nothing: a boundary over 70 characters, a body cut
        // short, the same path twice.
        foreach (var (contentType, body) in new[]
        {
            ($"multipart/form-data; boundary={new string('b', 5000)}", "--x\r\n"),
            ("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"cut.txt\"\r\n\r\nno end"),
            ("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"twice.txt\"\r\n\r\n1\r\n--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"twice.txt\"\r\n\r\n2\r\n--xyz--\r\n"),
        })
        {
            using var content = new StringContent(body);
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            var refused = await client.PostAsync($"/api/v1/vaults/{vault}/upload?dir=/Bad", content);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{contentType[..Math.Min(40, contentType.Length)]}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/vaults/{vault}/tree/Bad")).StatusCode);
    }

    [Fact]
    public async Task FiftyConcurrentClients_OverlappingContent_EveryFilePresentAndDeduplicated()
    {
        await using var node = await TestNode.StartAsync();
        var token = await node.LoginAsync();
        using var setup = node.Client(token);
        var vault = await TestNode.CreateVaultAsync(setup);
        // Every upload is the same 6 MiB with a short unique tail: only each file's last chunk (about 1 MiB,
        // where the tail lands) differs, so the store holds about 6 + 50 MiB of 300.
        var shared = new SeededRandom(50).NextBytes(6 * 1024 * 1024);
        var clients = Enumerable.Range(0, 50).Select(_ => node.Client(token)).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                var content = shared.Concat(BitConverter.GetBytes(i)).ToArray();
                var response = await client.PutAsync($"/api/v1/vaults/{vault}/files/load/file{i}.bin", new ByteArrayContent(content));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        using var listing = JsonDocument.Parse(await setup.GetStringAsync($"/api/v1/vaults/{vault}/tree/load"));
        Assert.Equal(50, listing.RootElement.GetProperty("entries").GetArrayLength());
        Assert.Equal(shared.Concat(BitConverter.GetBytes(7)).ToArray(), await setup.GetByteArrayAsync($"/api/v1/vaults/{vault}/files/load/file7.bin"));
        using var stats = JsonDocument.Parse(await setup.GetStringAsync($"/api/v1/vaults/{vault}/stats"));
        Assert.True(stats.RootElement.GetProperty("dedupRatio").GetDouble() > 2.5, stats.RootElement.ToString());
    }
}
