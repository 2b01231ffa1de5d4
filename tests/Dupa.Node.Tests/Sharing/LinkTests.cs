using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dupa.Testing;
using static Dupa.Node.Tests.Sharing.SharingTestKit;

namespace Dupa.Node.Tests.Sharing;

public sealed class LinkTests
{
    private static async Task<(string Id, string Secret)> CreateLinkAsync(HttpClient owner, string vault, object request)
    {
        var created = await JsonAsync(await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/links", request));
        var secret = created.GetProperty("secret").GetString()!;
        Assert.Equal("/s/" + secret, created.GetProperty("url").GetString());
        Assert.True(secret.Length >= 22, "at least 128 bits");
        return (created.GetProperty("id").GetString()!, secret);
    }

    [Fact]
    public async Task AFileLink_DownloadsWithoutAnAccount_AndTheOwnerSeesItsUses()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        var content = new SeededRandom(5).NextBytes(700_000);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/photo.jpg", new ByteArrayContent(content));
        var (id, secret) = await CreateLinkAsync(owner, vault, new { path = "/Trip/photo.jpg" });
        using var anonymous = node.Client();

        var info = await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{secret}"));
        Assert.Equal("photo.jpg", info.GetProperty("name").GetString());
        Assert.Equal("file", info.GetProperty("type").GetString());
        Assert.Equal(700_000, info.GetProperty("size").GetInt64());
        var download = await anonymous.GetAsync($"/api/v1/links/{secret}/files/");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());

        var links = await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/links"));
        var link = links.EnumerateArray().Single();
        Assert.Equal(id, link.GetProperty("id").GetString());
        Assert.Equal("/Trip/photo.jpg", link.GetProperty("path").GetString());
        Assert.Equal(1, link.GetProperty("uses").GetInt64());
        Assert.Equal(JsonValueKind.String, link.GetProperty("lastUsedAt").ValueKind);
        Assert.Equal("active", link.GetProperty("state").GetString());
        Assert.Single((await JsonAsync(await owner.GetAsync("/api/v1/links"))).EnumerateArray());
        // The secret is stored only as a hash, the path sealed.
        var db = Path.Combine(node.DataDirectory, "node.db");
        var bytes = (await File.ReadAllBytesAsync(db)).Concat(File.Exists(db + "-wal") ? await File.ReadAllBytesAsync(db + "-wal") : []).ToArray();
        Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(secret)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf("photo.jpg"u8));
        Assert.DoesNotContain(secret, node.Console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Links_Expired_Revoked_Exhausted_Guessed_AndLocked_AreRefused()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        using var anonymous = node.Client();

        var (_, expiring) = await CreateLinkAsync(owner, vault, new { path = "/a.txt", expiresAt = node.Time.GetUtcNow().AddHours(1) });
        var (revokedId, revoked) = await CreateLinkAsync(owner, vault, new { path = "/a.txt" });
        var (_, once) = await CreateLinkAsync(owner, vault, new { path = "/a.txt", maxUses = 1 });
        Assert.Equal("alpha", await anonymous.GetStringAsync($"/api/v1/links/{expiring}/files/"));
        Assert.Equal("alpha", await anonymous.GetStringAsync($"/api/v1/links/{revoked}/files/"));
        Assert.Equal("alpha", await anonymous.GetStringAsync($"/api/v1/links/{once}/files/"));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/v1/vaults/{vault}/links/{revokedId}")).StatusCode);
        node.Time.Advance(TimeSpan.FromHours(2));
        owner.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await node.LoginAsync());

        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{expiring}/files/"), HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{expiring}"), HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{revoked}/files/"), HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{once}/files/"), HttpStatusCode.Gone, "link_used_up");
        // Range headers the server would answer with the whole file are counted like plain requests.
        foreach (var range in new[] { "bytes=1-1,0-", "x", "bytes=0-" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/links/{once}/files/");
            request.Headers.TryAddWithoutValidation("Range", range);
            await AssertRefusedAsync(anonymous.SendAsync(request), HttpStatusCode.Gone, "link_used_up");
        }
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{new string('x', 43)}/files/"), HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('/', '_').Replace('+', '-')}"), HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync(anonymous.GetAsync("/api/v1/links/short/files/"), HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{once[..^1]}."), HttpStatusCode.NotFound, "not_found");
        var states = (await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/links"))).EnumerateArray().Select(l => l.GetProperty("state").GetString()).Order();
        Assert.Equal(["exhausted", "expired", "revoked"], states);

        var (_, live) = await CreateLinkAsync(owner, vault, new { path = "/a.txt" });
        // A link to one file lists that file alone.
        var listing = await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{live}/tree/"));
        Assert.Equal("a.txt", Assert.Single(listing.GetProperty("entries").EnumerateArray()).GetProperty("name").GetString());
        await owner.PostAsync($"/api/v1/vaults/{vault}/lock", null);
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{live}/files/"), HttpStatusCode.ServiceUnavailable, "vault_locked");
    }

    [Fact]
    public async Task APasswordLink_RefusesWithoutOrWithAWrongPassword_IsRateLimited_AndTradesThePasswordForAccess()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        var (_, secret) = await CreateLinkAsync(owner, vault, new { path = "/a.txt", password = "open sesame" });
        using var anonymous = node.Client();

        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}"), HttpStatusCode.Unauthorized, "password_required");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/files/"), HttpStatusCode.Unauthorized, "password_required");
        await AssertRefusedAsync(anonymous.PostAsJsonAsync($"/api/v1/links/{secret}/access", new { password = "wrong" }), HttpStatusCode.Unauthorized, "wrong_password");
        using var withHeader = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/links/{secret}/files/");
        withHeader.Headers.Add("X-Dupa-Link-Password", "open sesame");
        Assert.Equal("alpha", await (await anonymous.SendAsync(withHeader)).Content.ReadAsStringAsync());
        var access = await JsonAsync(await anonymous.PostAsJsonAsync($"/api/v1/links/{secret}/access", new { password = "open sesame" }));
        Assert.Equal("alpha", await anonymous.GetStringAsync($"/api/v1/links/{secret}/files/?access={access.GetProperty("access").GetString()}"));
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/files/?access=made-up"), HttpStatusCode.Unauthorized, "password_required");

        // Guessing locks the link for a while, the right password included (the test node allows 10 a minute).
        HttpStatusCode status = 0;
        for (var i = 0; i < 12 && status != HttpStatusCode.TooManyRequests; i++)
        {
            status = (await anonymous.PostAsJsonAsync($"/api/v1/links/{secret}/access", new { password = "guess " + i })).StatusCode;
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        await AssertRefusedAsync(anonymous.PostAsJsonAsync($"/api/v1/links/{secret}/access", new { password = "open sesame" }), HttpStatusCode.TooManyRequests, "too_many_attempts");
    }

    [Fact]
    public async Task AFolderLink_ListsAndZips_ButNothingOutsideTheFolder()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/a.txt", new StringContent("alpha"));
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/day2/b.txt", new StringContent("beta"));
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/secret.txt", new StringContent("private"));
        var (_, secret) = await CreateLinkAsync(owner, vault, new { path = "/Trip" });
        using var anonymous = node.Client();

        var listing = await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{secret}/tree/"));
        Assert.Equal(["/a.txt", "/day2"], listing.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        var sub = await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{secret}/tree/day2"));
        Assert.Equal("/day2/b.txt", sub.GetProperty("entries")[0].GetProperty("path").GetString());
        Assert.Equal("beta", await anonymous.GetStringAsync($"/api/v1/links/{secret}/files/day2/b.txt"));
        var zip = await anonymous.GetAsync($"/api/v1/links/{secret}/zip/");
        Assert.Equal("application/zip", zip.Content.Headers.ContentType?.MediaType);
        Assert.Equal("PK"u8.ToArray(), (await zip.Content.ReadAsByteArrayAsync())[..2]);

        foreach (var escape in new[] { "../secret.txt", "..%2Fsecret.txt", "%2E%2E/secret.txt", "day2/../../secret.txt" })
        {
            var response = await anonymous.GetAsync($"/api/v1/links/{secret}/files/{escape}");
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{escape}: {response.StatusCode}");
            Assert.DoesNotContain("private", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ALink_FollowsItsTargetThroughRenamesAndMoves_AndATrashedTargetIsGone()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        var photo = new SeededRandom(7).NextBytes(300_000);
        // One put makes /Trip, /Trip/Day1 and the photo: all three share the put's lineage.
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/Day1/photo.jpg", new ByteArrayContent(photo));
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/Day1/notes.txt", new StringContent("notes"));
        var (fileLink, file) = await CreateLinkAsync(owner, vault, new { path = "/Trip/Day1/photo.jpg" });
        var (_, folder) = await CreateLinkAsync(owner, vault, new { path = "/Trip/Day1" });
        var (_, notes) = await CreateLinkAsync(owner, vault, new { path = "/Trip/Day1/notes.txt" });
        using var anonymous = node.Client();
        async Task MoveAsync(string from, string to) =>
            Assert.True((await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/move", new { from, to })).IsSuccessStatusCode);
        async Task<string> PathOfLinkAsync(string id) =>
            (await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/links"))).EnumerateArray().Single(l => l.GetProperty("id").GetString() == id).GetProperty("path").GetString()!;

        // Renamed, then something else put at its old name: the link follows the photo, not the name.
        await MoveAsync("/Trip/Day1/photo.jpg", "/Trip/Day1/beach.jpg");
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/Day1/photo.jpg", new StringContent("an impostor"));
        Assert.Equal(photo, await anonymous.GetByteArrayAsync($"/api/v1/links/{file}/files/"));
        Assert.Equal("beach.jpg", (await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{file}"))).GetProperty("name").GetString());
        // Moved to another folder.
        await MoveAsync("/Trip/Day1/beach.jpg", "/Elsewhere/beach.jpg");
        Assert.Equal(photo, await anonymous.GetByteArrayAsync($"/api/v1/links/{file}/files/"));
        Assert.Equal("/Elsewhere/beach.jpg", await PathOfLinkAsync(fileLink));
        // A parent folder renamed: the folder link and the link to a file in it follow.
        await MoveAsync("/Trip", "/Holiday");
        var listing = await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{folder}/tree/"));
        Assert.Equal(["/notes.txt", "/photo.jpg"], listing.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.Equal("notes", await anonymous.GetStringAsync($"/api/v1/links/{notes}/files/"));
        Assert.Equal("Day1", (await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{folder}"))).GetProperty("name").GetString());

        // In the trash: a clear 410 on every route, and the owner sees why; restored, it works again.
        var deleted = await JsonAsync(await owner.DeleteAsync($"/api/v1/vaults/{vault}/files/Elsewhere/beach.jpg"));
        foreach (var route in new[] { "", "/files/", "/tree/" })
        {
            var gone = await anonymous.GetAsync($"/api/v1/links/{file}{route}");
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal("link_target_trashed", await ProblemCodeAsync(gone));
        }
        var trashedView = (await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/links"))).EnumerateArray().Single(l => l.GetProperty("id").GetString() == fileLink);
        Assert.Equal("trashed", trashedView.GetProperty("state").GetString());
        Assert.True((await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/trash/{deleted.GetProperty("trashItem").GetString()}/restore", new { })).IsSuccessStatusCode);
        Assert.Equal(photo, await anonymous.GetByteArrayAsync($"/api/v1/links/{file}/files/"));
        // A trashed folder takes the links to it and to what is in it along.
        await owner.DeleteAsync($"/api/v1/vaults/{vault}/files/Holiday");
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.GetAsync($"/api/v1/links/{folder}/tree/")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.GetAsync($"/api/v1/links/{notes}/files/")).StatusCode);
        // The identity and the new paths are sealed like the path: node.db names none of them.
        var db = Path.Combine(node.DataDirectory, "node.db");
        var bytes = (await File.ReadAllBytesAsync(db)).Concat(File.Exists(db + "-wal") ? await File.ReadAllBytesAsync(db + "-wal") : []).ToArray();
        Assert.Equal(-1, bytes.AsSpan().IndexOf("Elsewhere"u8));
        Assert.Equal(-1, bytes.AsSpan().IndexOf("beach.jpg"u8));
    }

    [Fact]
    public async Task ADropLink_TakesUploads_ButCannotListOrDownloadWhatWasDropped()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Inbox/existing.txt", new StringContent("do not show"));
        var (_, secret) = await CreateLinkAsync(owner, vault, new { path = "/Inbox", kind = "drop" });
        using var anonymous = node.Client();

        for (var i = 0; i < 2; i++)
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent("dropped"u8.ToArray());
            file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            form.Add(file, "files", "../report.txt");
            var stored = await JsonAsync(await anonymous.PostAsync($"/api/v1/links/{secret}/upload", form));
            // The visitor gets its own name back, never the stored one ("report (2).txt" would tell that "report.txt" exists).
            Assert.Equal("report.txt", stored.GetProperty("stored")[0].GetString());
        }
        var inbox = (await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/tree/Inbox"))).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()).Order();
        Assert.Equal(["existing.txt", "report (2).txt", "report.txt"], inbox);
        var info = await JsonAsync(await anonymous.GetAsync($"/api/v1/links/{secret}"));
        Assert.Equal("drop", info.GetProperty("kind").GetString());

        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/tree/"), HttpStatusCode.Forbidden, "upload_only");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/files/report.txt"), HttpStatusCode.Forbidden, "upload_only");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/files/existing.txt"), HttpStatusCode.Forbidden, "upload_only");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/zip/"), HttpStatusCode.Forbidden, "upload_only");
        Assert.Equal("dropped", await owner.GetStringAsync($"/api/v1/vaults/{vault}/files/Inbox/report.txt"));
        Assert.Equal("do not show", await owner.GetStringAsync($"/api/v1/vaults/{vault}/files/Inbox/existing.txt"));
        var audit = await JsonAsync(await owner.GetAsync($"/api/v1/vaults/{vault}/audit"));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("actor").GetString()!.StartsWith("link:", StringComparison.Ordinal) && e.GetProperty("path").GetString() == "/Inbox/report.txt");

        // A read link takes no uploads.
        var (_, read) = await CreateLinkAsync(owner, vault, new { path = "/Inbox" });
        using var form2 = new MultipartFormDataContent { { new ByteArrayContent([1]), "files", "x.bin" } };
        await AssertRefusedAsync(anonymous.PostAsync($"/api/v1/links/{read}/upload", form2), HttpStatusCode.Forbidden, "read_only");
    }

    [Fact]
    public async Task ADropThatTrickles_HoldsNoLockOnTheVault_WhileItsBytesArrive()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Inbox/first.txt", new StringContent("first"));
        var (_, secret) = await CreateLinkAsync(owner, vault, new { path = "/Inbox", kind = "drop" });
        using var anonymous = node.Client();

        // A visitor sends the start of a file, then stalls.
        var release = new TaskCompletionSource();
        using var form = new MultipartFormDataContent { { new StreamContent(new StallingStream("the first half, "u8.ToArray(), "then the rest"u8.ToArray(), release.Task)), "files", "slow.txt" } };
        var upload = anonymous.PostAsync($"/api/v1/links/{secret}/upload", form);

        // Meanwhile the owner writes and lists: the vault is not waiting on the visitor.
        var write = owner.PutAsync($"/api/v1/vaults/{vault}/files/Inbox/mine.txt", new StringContent("mine"));
        Assert.Same(write, await Task.WhenAny(write, upload, Task.Delay(TimeSpan.FromSeconds(60))));
        Assert.Equal(HttpStatusCode.Created, (await write).StatusCode);

        release.SetResult();
        await JsonAsync(await upload);
        Assert.Equal("the first half, then the rest", await owner.GetStringAsync($"/api/v1/vaults/{vault}/files/Inbox/slow.txt"));
    }

    /// <summary>A body that gives its first part, waits for <paramref name="release"/>, then gives the rest.</summary>
    private sealed class StallingStream(byte[] first, byte[] rest, Task release) : Stream
    {
        private int _part;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            switch (_part++)
            {
                case 0:
                    first.CopyTo(buffer);
                    return first.Length;
                case 1:
                    await release.WaitAsync(cancellationToken);
                    rest.CopyTo(buffer);
                    return rest.Length;
                default:
                    return 0;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task ALinkDies_WhenItsMakerLosesTheRightToShare_AndBadRequestsAre4xx()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        using var manager = node.Client(await node.CreateUserAsync("meg", "meg-password"));
        await ShareAsync(owner, vault, "meg", "manager");
        var (_, secret) = await CreateLinkAsync(manager, vault, new { path = "/a.txt" });
        using var anonymous = node.Client();
        Assert.Equal("alpha", await anonymous.GetStringAsync($"/api/v1/links/{secret}/files/"));

        await ShareAsync(owner, vault, "meg", "viewer");
        await AssertRefusedAsync(anonymous.GetAsync($"/api/v1/links/{secret}/files/"), HttpStatusCode.NotFound, "not_found");

        foreach (var request in new object[]
        {
            new { path = "/missing.txt" }, new { path = "/a.txt", kind = "drop" }, new { path = "/a.txt", kind = "write" },
            new { path = "/a.txt", maxUses = 0 }, new { path = "/a.txt", expiresAt = node.Time.GetUtcNow().AddDays(-1) }, new { path = "../etc" },
        })
        {
            var response = await owner.PostAsJsonAsync($"/api/v1/vaults/{vault}/links", request);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{JsonSerializer.Serialize(request)}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        await AssertRefusedAsync(owner.DeleteAsync($"/api/v1/vaults/{vault}/links/nope"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task PublicLinkRoutes_AnswerBadInputWith4xxProblems_Never500()
    {
        await using var node = await TestNode.StartAsync();
        using var owner = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(owner);
        await owner.PutAsync($"/api/v1/vaults/{vault}/files/Trip/day2/b.txt", new StringContent("beta"));
        var (_, folder) = await CreateLinkAsync(owner, vault, new { path = "/Trip" });
        var (_, drop) = await CreateLinkAsync(owner, vault, new { path = "/Trip", kind = "drop", password = "pw" });
        using var anonymous = node.Client();
        var requests = new Func<Task<HttpResponseMessage>>[]
        {
            () => anonymous.GetAsync($"/api/v1/links/{folder}/files/day2"),
            () => anonymous.GetAsync($"/api/v1/links/{folder}/files/nothing.txt"),
            () => anonymous.GetAsync($"/api/v1/links/{folder}/zip/day2/b.txt"),
            () => anonymous.GetAsync($"/api/v1/links/{folder}/tree/{new string('a', 5000)}"),
            () => anonymous.PostAsync($"/api/v1/links/{folder}/access", new StringContent("{", System.Text.Encoding.UTF8, "application/json")),
            () => anonymous.PostAsJsonAsync($"/api/v1/links/{folder}/access", new { password = "x" }),
            () => anonymous.PostAsync($"/api/v1/links/{drop}/upload", new StringContent("not a form")),
            () => anonymous.PostAsJsonAsync($"/api/v1/links/{drop}/access", new { password = new string('p', 5000) }),
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/links/{drop}/upload") { Content = new StringContent("--x--", System.Text.Encoding.UTF8) };
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
                request.Headers.Add("X-Dupa-Link-Password", "pw");
                return anonymous.SendAsync(request);
            },
            () =>
            {
                var form = new MultipartFormDataContent { { new ByteArrayContent([1]), "files", ".." } };
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/links/{drop}/upload") { Content = form };
                request.Headers.Add("X-Dupa-Link-Password", "pw");
                return anonymous.SendAsync(request);
            },
        };
        foreach (var send in requests)
        {
            var response = await send();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private static async Task AssertRefusedAsync(Task<HttpResponseMessage> request, HttpStatusCode status, string code)
    {
        var response = await request;
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(code, await ProblemCodeAsync(response));
    }
}
