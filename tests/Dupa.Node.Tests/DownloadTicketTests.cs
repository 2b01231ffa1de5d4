using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class DownloadTicketTests
{
    [Fact]
    public async Task ATicket_DownloadsOneFileOrFolder_WithoutAToken_ForAMinute()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        var content = new SeededRandom(4).NextBytes(300_000);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/photo.jpg", new ByteArrayContent(content));

        var ticket = await (await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/download-tickets", new { path = "/Trip/photo.jpg" })).Content.ReadFromJsonAsync<JsonElement>();
        var url = ticket.GetProperty("url").GetString()!;
        using var anonymous = node.Client();
        var response = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("photo.jpg", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        // Range requests work within the ticket's minute (download managers resume).
        using var range = new HttpRequestMessage(HttpMethod.Get, url);
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
        var partial = await anonymous.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content[100..200], await partial.Content.ReadAsByteArrayAsync());

        var folder = await (await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/download-tickets", new { path = "/Trip", archive = true })).Content.ReadFromJsonAsync<JsonElement>();
        var zip = await anonymous.GetAsync(folder.GetProperty("url").GetString());
        Assert.Equal("application/zip", zip.Content.Headers.ContentType?.MediaType);
        Assert.Equal("PK"u8.ToArray(), (await zip.Content.ReadAsByteArrayAsync())[..2]);

        // A guessed ticket, an expired one, and another user's vault get nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/api/v1/downloads/" + new string('A', 43))).StatusCode);
        node.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url)).StatusCode);
        using var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/download-tickets", new { path = "/Trip/photo.jpg" })).StatusCode);
    }
}
