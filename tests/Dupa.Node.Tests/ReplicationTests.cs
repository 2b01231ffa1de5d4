using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dupa.Core.Index;
using Dupa.Core.Replication;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Node.Tests;

/// <summary>A vault replicated to a peer that holds only ciphertext, and recovered from it (docs/protocol.md, Replicas).</summary>
public sealed class ReplicationTests
{
    [Fact]
    public async Task SharedAsReplica_ThePeerHoldsOnlyCiphertext_VerifiesIt_AndCanServeAFullRecovery()
    {
        var (portA, portB) = (Waiting.FreePort(), Waiting.FreePort());
        await using var a = await TestNode.StartAsync(configure: o => { o.PeerListen = $"127.0.0.1:{portA}"; o.PeerHeartbeatSeconds = 1; o.PeerAuditSeconds = 1; });
        await using var b = await TestNode.StartAsync(configure: o => { o.PeerListen = $"127.0.0.1:{portB}"; o.PeerHeartbeatSeconds = 1; o.PeerAuditSeconds = 60; });
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        var idA = (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString();
        var idB = (await clientB.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString();
        await clientA.PostAsJsonAsync("/api/v1/peers", new { deviceId = idB, address = $"127.0.0.1:{portB}", name = "b" });
        await clientB.PostAsJsonAsync("/api/v1/peers", new { deviceId = idA, address = $"127.0.0.1:{portA}", name = "a" });

        var vault = await TestNode.CreateVaultAsync(clientA, "photos", "vault passphrase");
        var random = new SeededRandom(55);
        var files = new Dictionary<string, byte[]>
        {
            ["/Holiday/beach-sunset-confidential.jpg"] = random.NextBytes(700_000),
            ["/Holiday/notes-about-the-trip.txt"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the secret meeting place is the old mill; ", 200))),
        };
        foreach (var (path, content) in files)
        {
            Assert.Equal(HttpStatusCode.Created, (await clientA.PutAsync($"/api/v1/vaults/{vault}/files{path}", new ByteArrayContent(content))).StatusCode);
        }
        var share = await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = idB, role = "replica" });
        Assert.Equal(HttpStatusCode.OK, share.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = idB, role = "owner" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = new string('a', 64), role = "replica" })).StatusCode);

        // B pulls everything; a change made afterwards follows.
        await UpToDateAsync(clientB, vault);
        files["/Holiday/later.txt"] = Encoding.UTF8.GetBytes("added after the share, with another secret word: pumpernickel");
        await clientA.PutAsync($"/api/v1/vaults/{vault}/files/Holiday/later.txt", new ByteArrayContent(files["/Holiday/later.txt"]));
        var vaultDirectory = Path.Combine(a.DataDirectory, "vaults", vault);
        var replicaDirectory = Path.Combine(b.DataDirectory, "replicas", vault);
        try
        {
            await Waiting.UntilAsync(() => Task.FromResult(new ReplicaCopy(replicaDirectory).BytesBehind(ReplicaCopy.Offer(vaultDirectory)) == 0));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"behind {new ReplicaCopy(replicaDirectory).BytesBehind(ReplicaCopy.Offer(vaultDirectory))}; status {await clientB.GetStringAsync("/api/v1/status")}");
        }

        // The owner sees, per peer, how far behind it says it is.
        await Waiting.UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("peers")[0] is var peer
            && peer.GetProperty("bytesBehind").ValueKind == JsonValueKind.Number && peer.GetProperty("bytesBehind").GetInt64() == 0);

        // Two copies wanted, one up to date: under-replicated; one wanted: not.
        Assert.Equal(HttpStatusCode.BadRequest, (await clientA.PutAsJsonAsync($"/api/v1/vaults/{vault}/replication", new { copies = 17 })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await clientA.PutAsJsonAsync($"/api/v1/vaults/{vault}/replication", new { copies = 2 })).StatusCode);
        var replication = (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("vaults").EnumerateArray().Single(v => v.GetProperty("vaultId").GetString() == vault);
        Assert.Equal([idB], replication.GetProperty("upToDate").EnumerateArray().Select(p => p.GetString()));
        Assert.True(replication.GetProperty("underReplicated").GetBoolean());
        await clientA.PutAsJsonAsync($"/api/v1/vaults/{vault}/replication", new { copies = 1 });
        Assert.False((await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("vaults")[0].GetProperty("underReplicated").GetBoolean());

        // Nothing the replica's node stores reveals a name or content.
        var needles = files.Keys.SelectMany(p => p.Split('/', StringSplitOptions.RemoveEmptyEntries)).Where(n => n.Length >= 8).Select(Encoding.UTF8.GetBytes)
            .Concat(files.Values.Select(c => c[..16])).ToList();
        foreach (var file in Directory.EnumerateFiles(b.DataDirectory, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.All(needles, needle => Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} contains '{Encoding.UTF8.GetString(needle)}'"));
        }
        Assert.Empty(new ReplicaCopy(replicaDirectory).Verify());

        // Disaster recovery: the replica's copy, on a new machine, with the passphrase.
        using var recovered = new TempDirectory("dupa-recovered-");
        DirectoryCopy.Copy(replicaDirectory, recovered.Path);
        using (var opened = Vault.Open(recovered.Path, VaultSecret.Passphrase("vault passphrase"), new VaultOpenOptions { Writable = true }))
        {
            IndexRebuilder.Rebuild(opened);
        }
        using (var opened = Vault.Open(recovered.Path, VaultSecret.Passphrase("vault passphrase")))
        {
            foreach (var (path, content) in files)
            {
                await using var stream = opened.OpenRead(opened.State.Get(path)!.Current);
                using var memory = new MemoryStream();
                await stream.CopyToAsync(memory);
                Assert.Equal(content, memory.ToArray());
            }
            Assert.True(new Verifier(opened).Run(quick: false).IsClean);
        }

        // The owner audits the replica: it passes while the copy is whole. (An audit made while a pack was still
        // arriving could have failed; the clock moves on at each look so that the next one is due.)
        await Waiting.UntilAsync(async () =>
        {
            a.Time.Advance(TimeSpan.FromSeconds(2));
            return (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("audits").EnumerateArray()
                .Any(x => x.GetProperty("vaultId").GetString() == vault && x.GetProperty("passed").GetBoolean());
        });

        // ...and fails once the replica's packs are altered, which the replica's own check finds too.
        foreach (var pack in Directory.EnumerateFiles(Path.Combine(replicaDirectory, "packs"), "*.pack", SearchOption.AllDirectories))
        {
            var altered = await File.ReadAllBytesAsync(pack);
            altered[altered.Length / 2] ^= 1;
            await File.WriteAllBytesAsync(pack, altered);
        }
        Assert.Contains(new ReplicaCopy(replicaDirectory).Verify(), p => p.Contains("altered", StringComparison.Ordinal));
        a.Time.Advance(TimeSpan.FromSeconds(2)); // the node's clock is the test's: the next audit is due
        await Waiting.UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("audits").EnumerateArray()
            .Any(x => x.GetProperty("vaultId").GetString() == vault && !x.GetProperty("passed").GetBoolean()
                && x.GetProperty("detail").GetString()!.Contains("altered", StringComparison.Ordinal)));

        // Repair: at its next self-check the replica drops what it finds altered and fetches it again from the owner.
        b.Time.Advance(TimeSpan.FromSeconds(61));
        await Waiting.UntilAsync(async () => (await clientB.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("replicas")[0].GetProperty("repaired").GetArrayLength() > 0
            && new ReplicaCopy(replicaDirectory).Verify().Count == 0 && new ReplicaCopy(replicaDirectory).BytesBehind(ReplicaCopy.Offer(vaultDirectory)) == 0);
        a.Time.Advance(TimeSpan.FromSeconds(2));
        await Waiting.UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/status")).GetProperty("audits").EnumerateArray()
            .Any(x => x.GetProperty("vaultId").GetString() == vault && x.GetProperty("passed").GetBoolean()));
    }

    /// <summary>With heartbeats five minutes apart, pinning, sharing and each change still reach the replica within seconds: they are pushed.</summary>
    [Fact]
    public async Task Changes_ArePushedToTheReplica_NotPolled()
    {
        var (portA, portB) = (Waiting.FreePort(), Waiting.FreePort());
        await using var a = await TestNode.StartAsync(configure: o => { o.PeerListen = $"127.0.0.1:{portA}"; o.PeerHeartbeatSeconds = 300; });
        await using var b = await TestNode.StartAsync(configure: o => { o.PeerListen = $"127.0.0.1:{portB}"; o.PeerHeartbeatSeconds = 300; });
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        var idA = (await clientA.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString();
        var idB = (await clientB.GetFromJsonAsync<JsonElement>("/api/v1/node/id")).GetProperty("deviceId").GetString();
        await clientA.PostAsJsonAsync("/api/v1/peers", new { deviceId = idB, address = $"127.0.0.1:{portB}" });
        await clientB.PostAsJsonAsync("/api/v1/peers", new { deviceId = idA, address = $"127.0.0.1:{portA}" });
        var vault = await TestNode.CreateVaultAsync(clientA, "photos", "vault passphrase");
        await clientA.PutAsync($"/api/v1/vaults/{vault}/files/first.txt", new StringContent("first"));
        await clientA.PostAsJsonAsync($"/api/v1/vaults/{vault}/shares", new { peer = idB, role = "replica" });
        var owner = Path.Combine(a.DataDirectory, "vaults", vault);
        var replica = new ReplicaCopy(Path.Combine(b.DataDirectory, "replicas", vault));
        await WithinAsync(TimeSpan.FromSeconds(30), () => Directory.Exists(replica.Directory) && replica.BytesBehind(ReplicaCopy.Offer(owner)) == 0);

        for (var i = 0; i < 3; i++)
        {
            await clientA.PutAsync($"/api/v1/vaults/{vault}/files/change{i}.txt", new StringContent($"change {i}"));
            await WithinAsync(TimeSpan.FromSeconds(30), () => replica.BytesBehind(ReplicaCopy.Offer(owner)) == 0);
        }
    }

    private static async Task WithinAsync(TimeSpan limit, Func<bool> condition)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < limit)
        {
            if (condition())
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"not within {limit.TotalSeconds} s (heartbeats are 300 s apart, so only a push gets there in time)");
    }

    private static async Task UpToDateAsync(HttpClient client, string vault)
    {
        var status = default(JsonElement);
        try
        {
            await Waiting.UntilAsync(async () =>
            {
                status = await client.GetFromJsonAsync<JsonElement>("/api/v1/status");
                return status.GetProperty("replicas").EnumerateArray().Any(r => r.GetProperty("vaultId").GetString() == vault
                    && r.GetProperty("bytesBehind").GetInt64() == 0 && r.GetProperty("lastSync").ValueKind != JsonValueKind.Null);
            });
        }
        catch (TimeoutException)
        {
            Assert.Fail("the replica did not catch up; its node's status: " + status);
        }
    }
}
