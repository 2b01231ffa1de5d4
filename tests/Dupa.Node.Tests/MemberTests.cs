using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dupa.Testing;

namespace Dupa.Node.Tests;

/// <summary>Two nodes that both hold a vault's key (docs/protocol.md, Members): each reads and writes, and edits made apart converge.</summary>
public sealed class MemberTests
{
    [Fact]
    public async Task SharedAsMember_ThePeerJoinsWithoutThePassphrase_BothWrite_AndEditsMadeApartConverge()
    {
        var (portA, portB) = (Waiting.FreePort(), Waiting.FreePort());
        await using var a = await TestNode.StartAsync(configure: o => { o.PeerListen = $"127.0.0.1:{portA}"; o.PeerHeartbeatSeconds = 1; });
        await using var b = await TestNode.StartAsync(configure: o => { o.PeerListen = $"127.0.0.1:{portB}"; o.PeerHeartbeatSeconds = 1; });
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        var idA = (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString()!;
        var idB = (await clientB.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString()!;
        await PinAsync(clientA, idB, portB);
        await PinAsync(clientB, idA, portA);

        var vault = await TestNode.CreateVaultAsync(clientA, "family", "vault passphrase");
        var big = new SeededRandom(61).NextBytes(3_000_000);
        await PutAsync(clientA, vault, "/photos/big.bin", big);
        await PutAsync(clientA, vault, "/docs/edit.txt", "version 1"u8.ToArray());
        await PutAsync(clientA, vault, "/docs/gone.txt", "both saw this"u8.ToArray());
        await PutAsync(clientA, vault, "/old/notes.txt", "to be moved"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, (await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = idB, role = "member" })).StatusCode);

        // B joins with its own key (it never learns the passphrase), lists the vault and reads every byte.
        try
        {
            await Waiting.UntilAsync(async () => (await clientB.GetFromJsonAsync<JsonElement>("/api/v1/vaults")).EnumerateArray().Any(v => v.GetProperty("id").GetString() == vault));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"status B: {await clientB.GetStringAsync("/api/v1/status")}\nlog B: {b.Console}\nlog A: {a.Console}");
        }
        await Waiting.UntilAsync(async () => await TryGetAsync(clientB, vault, "/photos/big.bin") is { } bytes && bytes.AsSpan().SequenceEqual(big), 30);

        // B writes; A sees it.
        await PutAsync(clientB, vault, "/from-b.txt", "written on B"u8.ToArray());
        await Waiting.UntilAsync(async () => await TryGetAsync(clientA, vault, "/from-b.txt") is { } bytes && bytes.AsSpan().SequenceEqual("written on B"u8));

        // A rotates the vault's key: B learns of it from A's header, is given the new key, and both go on writing.
        var rotated = await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/rotate-key", new { passphrase = "vault passphrase" });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(1, (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("epoch").GetInt32());
        var memberKey = Path.Combine(b.DataDirectory, "vaults", vault, "member.key");
        var keyBefore = await File.ReadAllBytesAsync(memberKey);
        await PutAsync(clientA, vault, "/after-rotation.txt", "sealed under epoch 1"u8.ToArray());
        await Waiting.UntilAsync(async () => await TryGetAsync(clientB, vault, "/after-rotation.txt") is { } bytes && bytes.AsSpan().SequenceEqual("sealed under epoch 1"u8), 30);
        var keyAfter = await File.ReadAllBytesAsync(memberKey);
        Assert.NotEqual(keyBefore, keyAfter);
        Assert.Equal(1, Core.Vaults.VaultHeader.Read(Path.Combine(b.DataDirectory, "vaults", vault)).Epoch);
        await PutAsync(clientB, vault, "/b-after-rotation.txt", "B under epoch 1"u8.ToArray());
        await Waiting.UntilAsync(async () => await TryGetAsync(clientA, vault, "/b-after-rotation.txt") is { } bytes && bytes.AsSpan().SequenceEqual("B under epoch 1"u8));

        // Apart: each unpins the other, then both change the same files.
        Assert.Equal(HttpStatusCode.NoContent, (await clientA.DeleteAsync($"/api/v1/peers/{idB}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await clientB.DeleteAsync($"/api/v1/peers/{idA}")).StatusCode);
        await PutAsync(clientA, vault, "/docs/edit.txt", "A's edit"u8.ToArray());
        await PutAsync(clientB, vault, "/docs/edit.txt", "B's edit"u8.ToArray());
        Assert.True((await clientA.DeleteAsync($"/api/v1/vaults/{vault}/files/docs/gone.txt")).IsSuccessStatusCode);
        await PutAsync(clientB, vault, "/docs/gone.txt", "B changed it"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, (await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/move", new { from = "/old", to = "/archive" })).StatusCode);
        await PutAsync(clientB, vault, "/old/notes.txt", "edited where it was"u8.ToArray());

        // Together again: both end with the same tree, the conflict copy included.
        await PinAsync(clientA, idB, portB);
        await PinAsync(clientB, idA, portA);
        try
        {
            await Waiting.UntilAsync(async () => await TreeAsync(clientA, vault) is var treeA && treeA == await TreeAsync(clientB, vault) && treeA.Contains("(conflict ", StringComparison.Ordinal)
                && treeA.Contains("/archive/notes.txt", StringComparison.Ordinal), 30);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"A: {await TreeAsync(clientA, vault)}\nB: {await TreeAsync(clientB, vault)}\nstatus A: {await clientA.GetStringAsync("/api/v1/status")}");
        }
        foreach (var client in new[] { clientA, clientB })
        {
            var docs = await client.GetFromJsonAsync<JsonElement>($"/api/v1/vaults/{vault}/tree/docs");
            var edits = new List<string>();
            foreach (var entry in docs.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).Where(n => n.StartsWith("edit", StringComparison.Ordinal)))
            {
                edits.Add(Encoding.UTF8.GetString((await TryGetAsync(client, vault, "/docs/" + entry))!));
            }
            Assert.Equal(["A's edit", "B's edit"], edits.Order());
            Assert.Equal("B changed it"u8.ToArray(), await TryGetAsync(client, vault, "/docs/gone.txt"));
            Assert.Equal("edited where it was"u8.ToArray(), await TryGetAsync(client, vault, "/archive/notes.txt"));
        }
        // An error from an earlier round is cleared once the next round's entries are applied.
        await Waiting.UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("members").EnumerateArray()
            .Any(m => m.GetProperty("vaultId").GetString() == vault && m.GetProperty("lastError").ValueKind == JsonValueKind.Null));

        // Locked by hand on B, the vault stays locked: member sync does not open it again.
        Assert.Equal(HttpStatusCode.NoContent, (await clientB.PostAsync($"/api/v1/vaults/{vault}/lock", null)).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False((await clientB.GetFromJsonAsync<JsonElement>("/api/v1/vaults")).EnumerateArray().Single(v => v.GetProperty("id").GetString() == vault).GetProperty("unlocked").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await clientB.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { passphrase = "vault passphrase" })).StatusCode);

        // Revoked: B gets no new data.
        Assert.Equal(HttpStatusCode.NoContent, (await clientA.DeleteAsync($"/api/v1/vaults/{vault}/shares/{idB}")).StatusCode);
        await PutAsync(clientA, vault, "/after-revocation.txt", "not for B"u8.ToArray());
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Null(await TryGetAsync(clientB, vault, "/after-revocation.txt"));
        Assert.Equal("written on B"u8.ToArray(), await TryGetAsync(clientB, vault, "/from-b.txt"));
    }

    private static async Task PinAsync(HttpClient client, string id, int port) =>
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/peers", new { deviceId = id, address = $"127.0.0.1:{port}" })).StatusCode);

    private static async Task PutAsync(HttpClient client, string vault, string path, byte[] content) =>
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/api/v1/vaults/{vault}/files{path}", new ByteArrayContent(content))).StatusCode);

    private static async Task<byte[]?> TryGetAsync(HttpClient client, string vault, string path)
    {
        using var response = await client.GetAsync($"/api/v1/vaults/{vault}/files{path}");
        return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync() : null;
    }

    /// <summary>Every path and size, recursively, as one string to compare.</summary>
    private static async Task<string> TreeAsync(HttpClient client, string vault, string path = "")
    {
        using var response = await client.GetAsync($"/api/v1/vaults/{vault}/tree{path}");
        if (!response.IsSuccessStatusCode)
        {
            return $"({(int)response.StatusCode})";
        }
        var listing = await response.Content.ReadFromJsonAsync<JsonElement>();
        var lines = new List<string>();
        foreach (var entry in listing.GetProperty("entries").EnumerateArray())
        {
            var child = path + "/" + entry.GetProperty("name").GetString();
            lines.Add(entry.GetProperty("type").GetString() == "dir" ? await TreeAsync(client, vault, child) : $"{child}:{entry.GetProperty("size")}");
        }
        return string.Join('\n', lines);
    }
}
