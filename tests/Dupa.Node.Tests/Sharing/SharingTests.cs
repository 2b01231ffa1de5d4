using System.Net;
using System.Net.Http.Json;
using System.Text;
using static Dupa.Node.Tests.Sharing.SharingTestKit;

namespace Dupa.Node.Tests.Sharing;

public sealed class SharingTests
{
    /// <summary>
    /// One operation of the API on a vault, the least role that may do it, and how to do it as (client, vault, who,
    /// what <c>Prepare</c> made ready for it). <c>Prepare</c> runs as the owner before the snapshot that a refused
    /// operation must leave as it was (a trash item to restore or purge, a link to revoke).
    /// </summary>
    /// <remarks>
    /// <c>RefusedMember</c> is what a member whose role is too small gets: 403, except for the vault's peer settings,
    /// which find the vault with <c>CurrentUser.OwnedVault</c>, so for anyone but its owner it does not exist there (404).
    /// </remarks>
    private sealed record Operation(string Name, string Needs, Func<HttpClient, string, string, string?, Task<HttpResponseMessage>> Run,
        Func<HttpClient, string, string, Task<string?>>? Prepare = null, HttpStatusCode RefusedMember = HttpStatusCode.Forbidden);

    private static async Task<string?> TrashItemAsync(HttpClient owner, string vault, string who)
    {
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/tr-{who}.txt", new StringContent("t"));
        var deleted = await JsonAsync(await owner.DeleteAsync($"/api/v1/vaults/{vault}/files/tr-{who}.txt"));
        return deleted.GetProperty("trashItem").GetString();
    }

    private static async Task<string?> LinkAsync(HttpClient owner, string vault, string who) =>
        (await JsonAsync(await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/links", new { path = "/docs" }))).GetProperty("id").GetString();

    private static MultipartFormDataContent Form(string name)
    {
        var form = new MultipartFormDataContent();
        form.Add(new StringContent("form"), "files", name);
        return form;
    }

    /// <summary>Every operation on a vault's files, sharing, links, policy and jobs, with the least role it needs.</summary>
    private static readonly Operation[] Operations =
    [
        new("list", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/tree/docs")),
        new("stat", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/tree/docs/readme.txt")),
        new("download", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/files/docs/readme.txt")),
        new("versions", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/versions/docs/readme.txt")),
        new("history", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/log")),
        new("trash list", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/trash")),
        new("search", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/search?q=readme")),
        new("tags list", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/tags")),
        new("policy", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/policy")),
        new("members", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/members")),
        new("audit", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/audit")),
        new("stats", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/stats")),
        new("download ticket", "viewer", (c, v, _, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/download-tickets", new { path = "/docs/readme.txt" })),
        new("zip", "viewer", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/archive/docs")),
        new("zip selection", "viewer", (c, v, _, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/archive", new { paths = new[] { "/docs/readme.txt" } })),
        new("upload", "editor", (c, v, who, _) => c.PutAsync($"/api/v1/vaults/{v}/files/up-{who}.txt", new StringContent("new"))),
        new("upload form", "editor", (c, v, who, _) => c.PostAsync($"/api/v1/vaults/{v}/upload?dir=/", Form($"form-{who}.txt"))),
        new("resumable upload", "editor", (c, v, who, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/uploads", new { path = $"/big-{who}.bin", length = 10 })),
        new("delete", "editor", (c, v, who, _) => c.DeleteAsync($"/api/v1/vaults/{v}/files/del-{who}.txt")),
        new("move", "editor", (c, v, who, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/move", new { from = $"/mv-{who}.txt", to = $"/moved-{who}.txt" })),
        new("restore version", "editor", (c, v, _, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/restore-version", new { path = "/docs/readme.txt", version = 1 })),
        new("tag", "editor", (c, v, who, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/tags", new { path = "/docs/readme.txt", add = new[] { "by-" + who } })),
        new("restore from trash", "editor", (c, v, _, item) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/trash/{item}/restore", new { }), TrashItemAsync),
        new("purge item", "manager", (c, v, _, item) => c.DeleteAsync($"/api/v1/vaults/{v}/trash/{item}"), TrashItemAsync),
        new("empty trash", "manager", (c, v, _, _) => c.DeleteAsync($"/api/v1/vaults/{v}/trash")),
        new("set policy", "manager", (c, v, _, _) => c.PutAsJsonAsync($"/api/v1/vaults/{v}/policy", new { trashDays = 45, rules = Array.Empty<object>() })),
        new("write-once lock", "manager", (c, v, who, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/locks", new { path = $"/locked-{who}", until = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero) })),
        new("share", "manager", (c, v, _, _) => c.PutAsJsonAsync($"/api/v1/vaults/{v}/members/carol", new { role = "editor" })),
        new("unshare", "manager", (c, v, _, _) => c.DeleteAsync($"/api/v1/vaults/{v}/members/carol")),
        new("make link", "manager", (c, v, _, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/links", new { path = "/docs" })),
        new("list links", "manager", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/links")),
        new("revoke link", "manager", (c, v, _, link) => c.DeleteAsync($"/api/v1/vaults/{v}/links/{link}"), LinkAsync),
        new("start job", "manager", (c, v, _, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/jobs", new { kind = "verify", quick = true })),
        new("lock", "manager", (c, v, _, _) => c.PostAsync($"/api/v1/vaults/{v}/lock", null)),
        new("rotate key", "owner", (c, v, _, _) => c.PostAsJsonAsync($"/api/v1/vaults/{v}/rotate-key", new { passphrase = "vault passphrase" })),
        new("replication policy", "owner", (c, v, _, _) => c.PutAsJsonAsync($"/api/v1/vaults/{v}/replication", new { copies = 0 }), RefusedMember: HttpStatusCode.NotFound),
        new("peer shares", "owner", (c, v, _, _) => c.GetAsync($"/api/v1/vaults/{v}/shares"), RefusedMember: HttpStatusCode.NotFound),
    ];

    [Fact]
    public async Task PermissionMatrix_EachRoleDoesWhatItMay_AndEverythingElseIsRefusedAndChangesNothing()
    {
        // Many requests in a row: the per-user rate limit would answer 429 before the test is through.
        await using var node = await TestNode.StartAsync(configure: o => o.RequestsPerSecond = 100_000);
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner, "family");
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/docs/readme.txt", new StringContent("hello"));
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/docs/readme.txt", new StringContent("hello again"));
        await owner.DeleteAsync($"/api/v1/vaults/{vault}/files/docs/trashed.txt");
        await node.CreateUserAsync("carol", "carol-password");
        var clients = new Dictionary<string, HttpClient>();
        foreach (var role in new[] { "viewer", "editor", "manager" })
        {
            clients[role] = node.Client(await node.CreateUserAsync(role + "-user", "password-" + role));
            await ShareAsync(owner, vault, role + "-user", role);
        }
        clients["stranger"] = node.Client(await node.CreateUserAsync("stranger", "stranger-password"));
        clients["owner"] = owner;
        var ranks = new Dictionary<string, int> { ["stranger"] = 0, ["viewer"] = 1, ["editor"] = 2, ["manager"] = 3, ["owner"] = 4 };
        var checkedCount = 0;

        foreach (var operation in Operations)
        {
            foreach (var (who, client) in clients)
            {
                await owner.PutAsync($"/api/v1/vaults/{vault}/files/del-{who}.txt", new StringContent("d"));
                await owner.PutAsync($"/api/v1/vaults/{vault}/files/mv-{who}.txt", new StringContent("m"));
                await owner.DeleteAsync($"/api/v1/vaults/{vault}/files/docs/trashed-again.txt");
                await ShareAsync(owner, vault, "carol", "viewer");
                var prepared = operation.Prepare is null ? null : await operation.Prepare(owner, vault, who);
                var before = await SnapshotAsync(owner, vault);
                var response = await operation.Run(client, vault, who, prepared);
                var body = await response.Content.ReadAsStringAsync();
                if (ranks[who] >= ranks[operation.Needs])
                {
                    Assert.True(response.IsSuccessStatusCode, $"{who} may {operation.Name}: {(int)response.StatusCode} {body}");
                }
                else
                {
                    var expected = who == "stranger" ? HttpStatusCode.NotFound : operation.RefusedMember;
                    Assert.True(expected == response.StatusCode, $"{who} may not {operation.Name}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    Assert.Equal(before, await SnapshotAsync(owner, vault));
                }
                checkedCount++;
                if (!(await owner.GetStringAsync("/api/v1/vaults")).Contains("\"unlocked\":true", StringComparison.Ordinal))
                {
                    Assert.True((await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { passphrase = "vault passphrase" })).IsSuccessStatusCode);
                }
            }
        }
        Assert.Equal(Operations.Length * 5, checkedCount);
        // The audit names who did each allowed change.
        var audit = await owner.GetStringAsync($"/api/v1/vaults/{vault}/audit?limit=1000");
        foreach (var expected in new[] { "\"actor\":\"editor-user\",\"action\":\"file.added\"", "\"actor\":\"manager-user\",\"action\":\"trash.emptied\"",
            "\"actor\":\"manager-user\",\"action\":\"policy.set\"", "\"actor\":\"manager-user\",\"action\":\"share.changed\"",
            "\"actor\":\"manager-user\",\"action\":\"share.removed\"", "\"actor\":\"manager-user\",\"action\":\"link.revoked\"" })
        {
            Assert.Contains(expected, audit, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("\"actor\":\"viewer-user\",\"action\":\"file", audit, StringComparison.Ordinal);
        foreach (var (who, client) in clients.Where(c => c.Key != "owner"))
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task AMember_SeesTheVaultWithTheirRole_AndUnlocksItWithTheirOwnPassword_EvenAfterChangingIt()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner, "family");
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        using var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        await ShareAsync(owner, vault, "bob", "editor");

        var listed = (await JsonAsync(await bob.GetAsync("/api/v1/vaults"))).EnumerateArray().Single();
        Assert.Equal("family", listed.GetProperty("name").GetString());
        Assert.Equal("editor", listed.GetProperty("role").GetString());
        Assert.Equal("admin", listed.GetProperty("owner").GetString());
        var members = await JsonAsync(await bob.GetAsync($"/api/v1/vaults/{vault}/members"));
        Assert.Equal(["admin:owner", "bob:editor"], members.EnumerateArray().Select(m => m.GetProperty("username").GetString() + ":" + m.GetProperty("role").GetString()));
        Assert.Equal("admin", members[1].GetProperty("addedBy").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await owner.PostAsync($"/api/v1/vaults/{vault}/lock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Locked, (await bob.GetAsync($"/api/v1/vaults/{vault}/tree/")).StatusCode);
        var wrong = await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "not-bobs-password" });
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "bob-password" })).StatusCode);
        Assert.Equal("alpha", await bob.GetStringAsync($"/api/v1/vaults/{vault}/files/a.txt"));

        // A new password re-seals bob's key: the vault still opens with the new one, not the old.
        Assert.True((await bob.PostAsJsonAsync("/api/v1/auth/password", new { current = "bob-password", @new = "bob-new-password" })).IsSuccessStatusCode);
        await owner.PostAsync($"/api/v1/vaults/{vault}/lock", null);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "bob-password" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "bob-new-password" })).StatusCode);

        // Who did what: the owner shared, bob wrote; shown with the sharing.
        await bob.PutAsync($"/api/v1/vaults/{vault}/files/from-bob.txt", new StringContent("b"));
        var audit = await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/audit"));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("actor").GetString() == "bob" && e.GetProperty("action").GetString() == "file.added"
            && e.GetProperty("path").GetString() == "/from-bob.txt");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("actor").GetString() == "admin" && e.GetProperty("action").GetString() == "share.added"
            && e.GetProperty("target").GetString() == "bob (editor)");
        // A member may leave on their own; then the vault is gone from their list.
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync($"/api/v1/vaults/{vault}/members/bob")).StatusCode);
        Assert.Equal("[]", await bob.GetStringAsync("/api/v1/vaults"));
        // The audit table holds no plaintext path.
        var db = await File.ReadAllBytesAsync(Path.Combine(node.DataDirectory, "node.db"));
        var wal = Path.Combine(node.DataDirectory, "node.db-wal");
        var all = File.Exists(wal) ? [.. db, .. await File.ReadAllBytesAsync(wal)] : db;
        Assert.Equal(-1, all.AsSpan().IndexOf("from-bob"u8));
    }

    [Fact]
    public async Task AJobsResults_AreHiddenFromAManagerDemotedToViewer()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner, "team");
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        using var mia = node.Client(await node.CreateUserAsync("mia", "mia-password"));
        await ShareAsync(owner, vault, "mia", "manager");
        var job = await JsonAsync(await mia.PostAsJsonAsync($"/api/v1/vaults/{vault}/jobs", new { kind = "verify" }));
        var id = job.GetProperty("id").GetString();
        Assert.Single((await JsonAsync(await mia.GetAsync("/api/v1/jobs"))).EnumerateArray());

        Assert.Equal(HttpStatusCode.OK, (await owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/mia", new { role = "viewer" })).StatusCode);

        Assert.Empty((await JsonAsync(await mia.GetAsync("/api/v1/jobs"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await mia.GetAsync($"/api/v1/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mia.DeleteAsync($"/api/v1/jobs/{id}")).StatusCode);
    }

    [Fact]
    public async Task AfterRevocation_TheFormerViewerGetsNoListingNoDownloadNoTicketAndNoEvents()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner, "family");
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        var viewerToken = await node.CreateUserAsync("vera", "vera-password");
        using var vera = node.Client(viewerToken);
        await ShareAsync(owner, vault, "vera", "viewer");
        var ownVault = await TestNode.CreateVaultAsync(vera, "mine");
        using var socket = await ConnectAsync(node, viewerToken);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/b.txt", new StringContent("beta"));
        var seen = await ReceiveAsync(socket);
        Assert.Equal(vault, seen.GetProperty("vault").GetString());
        var ticket = await JsonAsync(await vera.PostAsJsonAsync($"/api/v1/vaults/{vault}/download-tickets", new { path = "/a.txt" }));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/v1/vaults/{vault}/members/vera")).StatusCode);

        Assert.DoesNotContain(vault, await vera.GetStringAsync("/api/v1/vaults"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await vera.GetAsync($"/api/v1/vaults/{vault}/tree/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await vera.GetAsync($"/api/v1/vaults/{vault}/files/a.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await vera.GetAsync($"/api/v1/vaults/{vault}/archive/")).StatusCode);
        using var anonymous = node.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(ticket.GetProperty("url").GetString())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await vera.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "vera-password" })).StatusCode);
        // The shared vault changes, then vera's own does: the first event she gets is her own vault's, so the
        // shared one's never reached her (events on one socket arrive in order).
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/c.txt", new StringContent("gamma"));
        await vera.PutAsync($"/api/v1/vaults/{ownVault}/files/mine.txt", new StringContent("mine"));
        var next = await ReceiveAsync(socket);
        Assert.Equal(ownVault, next.GetProperty("vault").GetString());
        Assert.Equal("/mine.txt", next.GetProperty("path").GetString());
    }

    [Fact]
    public async Task AfterRevocation_TheOwnerRotatesTheKey_AndTheUsersWhoKeepAccessStillUnlock()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner, "family");
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        using var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        await node.CreateUserAsync("vera", "vera-password");
        await ShareAsync(owner, vault, "bob", "editor");
        await ShareAsync(owner, vault, "vera", "viewer");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/v1/vaults/{vault}/members/vera")).StatusCode);
        var directory = Path.Combine(node.DataDirectory, "vaults", vault);

        // Only the owner, and only with the vault's passphrase.
        var wrong = await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/rotate-key", new { passphrase = "not the passphrase" });
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("wrong_passphrase", await ProblemCodeAsync(wrong));
        var byEditor = await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/rotate-key", new { passphrase = "vault passphrase" });
        Assert.Equal(HttpStatusCode.Forbidden, byEditor.StatusCode);
        Assert.Equal("forbidden_role", await ProblemCodeAsync(byEditor));
        Assert.Equal(0, Core.Vaults.VaultHeader.Read(directory).Epoch);

        var rotated = await JsonAsync(await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/rotate-key", new { passphrase = "vault passphrase" }));
        Assert.Equal(1, rotated.GetProperty("epoch").GetInt32());
        Assert.Equal(1, Core.Vaults.VaultHeader.Read(directory).Epoch);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/c.txt", new StringContent("gamma"));

        // Bob was given the new key: he unlocks with his own password and reads what came before and after.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.PostAsync($"/api/v1/vaults/{vault}/lock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "bob-password" })).StatusCode);
        Assert.Equal("alpha", await bob.GetStringAsync($"/api/v1/vaults/{vault}/files/a.txt"));
        Assert.Equal("gamma", await bob.GetStringAsync($"/api/v1/vaults/{vault}/files/c.txt"));
        // A rotation while a user holds the vault open asks the owner's passphrase and opens it with the root key.
        Assert.Equal(2, (await JsonAsync(await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/rotate-key", new { passphrase = "vault passphrase" }))).GetProperty("epoch").GetInt32());
        Assert.Equal("gamma", await bob.GetStringAsync($"/api/v1/vaults/{vault}/files/c.txt"));

        var audit = await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/audit"));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "vault.key_rotated" && e.GetProperty("target").GetString() == "epoch 1");
    }

    [Fact]
    public async Task Sharing_BadInput_Is4xxProblem()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner, "family");
        await node.CreateUserAsync("bob", "bob-password");
        var cases = new (Task<HttpResponseMessage> Request, HttpStatusCode Status)[]
        {
            (owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/bob", new { role = "owner" }), HttpStatusCode.BadRequest),
            (owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/bob", new { role = "" }), HttpStatusCode.BadRequest),
            (owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/nobody", new { role = "viewer" }), HttpStatusCode.NotFound),
            (owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/admin", new { role = "viewer" }), HttpStatusCode.BadRequest),
            (owner.PutAsync($"/api/v1/vaults/{vault}/members/bob", new StringContent("{", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest),
            (owner.DeleteAsync($"/api/v1/vaults/{vault}/members/bob"), HttpStatusCode.NotFound),
            (owner.DeleteAsync($"/api/v1/vaults/{vault}/members/admin"), HttpStatusCode.BadRequest),
            (owner.GetAsync($"/api/v1/vaults/{vault}/audit?limit=0"), HttpStatusCode.BadRequest),
            (owner.PutAsJsonAsync("/api/v1/vaults/no-such-vault/members/bob", new { role = "viewer" }), HttpStatusCode.NotFound),
        };
        foreach (var (request, status) in cases)
        {
            var response = await request;
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        // Adding someone needs the key, so the vault unlocked.
        await owner.PostAsync($"/api/v1/vaults/{vault}/lock", null);
        Assert.Equal(HttpStatusCode.Locked, (await owner.PutAsJsonAsync($"/api/v1/vaults/{vault}/members/bob", new { role = "viewer" })).StatusCode);
    }

    private static async Task<string> SnapshotAsync(HttpClient owner, string vault)
    {
        var parts = new List<string>();
        foreach (var url in new[] { "tree/", "tree/docs", "trash", "policy", "members", "links", "tags", "versions/docs/readme.txt" })
        {
            parts.Add(await owner.GetStringAsync($"/api/v1/vaults/{vault}/{url}"));
        }
        parts.Add(await owner.GetStringAsync("/api/v1/vaults"));
        return string.Join("\n", parts);
    }
}
