using System.Net;
using System.Net.Http.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class ResumableUploadTests
{
    [Fact]
    public async Task Upload_DroppedHalfWay_ResumesFromTheOffsetAndEndsBitIdentical()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        var content = new SeededRandom(21).NextBytes(9 * 1024 * 1024 + 333);

        var created = await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/uploads", new { path = "/videos/holiday.mp4", length = content.Length });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();

        // The first attempt dies after about 4 MiB.
        using (var first = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new StreamContent(new DroppingStream(content, 4 * 1024 * 1024 + 17)) })
        {
            first.Headers.Add("Upload-Offset", "0");
            await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(first));
        }

        long offset = 0;
        for (var i = 0; i < 100 && offset == 0; i++)
        {
            using var status = new HttpRequestMessage(HttpMethod.Head, location);
            offset = long.Parse((await client.SendAsync(status)).Headers.GetValues("Upload-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture);
            await Task.Delay(20);
        }
        Assert.InRange(offset, 1, content.Length - 1);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/vaults/{vault}/files/videos/holiday.mp4")).StatusCode);

        using (var wrongOffset = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(content, 0, 10) })
        {
            wrongOffset.Headers.Add("Upload-Offset", "0");
            Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(wrongOffset)).StatusCode);
        }

        using (var rest = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(content, (int)offset, content.Length - (int)offset) })
        {
            rest.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var done = await client.SendAsync(rest);
            Assert.True(done.StatusCode == HttpStatusCode.Created, await done.Content.ReadAsStringAsync());
        }
        Assert.Equal(content, await client.GetByteArrayAsync($"/api/v1/vaults/{vault}/files/videos/holiday.mp4"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(location)).StatusCode);

        // Nothing of the upload was ever on disk in the clear.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(node.DataDirectory, "uploads")));
    }

    private sealed class DroppingStream(byte[] data, int dropAt) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= dropAt)
            {
                throw new IOException("the connection dropped");
            }
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, (int)Math.Min(65536, dropAt - Position))], cancellationToken);
        }
    }
}
