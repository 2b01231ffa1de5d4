using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Crypto;
using Dupa.Core.Vaults;
using Microsoft.Data.Sqlite;
using static Dupa.Node.Tests.Sharing.SharingTestKit;

namespace Dupa.Node.Tests.Sharing;

/// <summary>Users' key pairs across password changes and admin resets (docs/sharing.md, Users' keys).</summary>
public sealed class UserKeyTests
{
    [Fact]
    public async Task AdminReset_TheNewPasswordLogsIn_SharedVaultsNeedSharingAgain_OwnVaultsStillUnlock()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Client(await node.LoginAsync());
        var family = await TestNode.CreateVaultAsync(admin, "family");
        await admin.PutAsync($"/api/v1/vaults/{family}/files/a.txt", new StringContent("alpha"));
        using var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        var mine = await TestNode.CreateVaultAsync(bob, "mine", "bobs vault passphrase");
        await bob.PutAsync($"/api/v1/vaults/{mine}/files/own.txt", new StringContent("own"));
        await ShareAsync(admin, family, "bob", "editor");
        var bobId = await UserIdAsync(admin, "bob");
        await admin.PostAsync($"/api/v1/vaults/{family}/lock", null);
        await bob.PostAsync($"/api/v1/vaults/{mine}/lock", null);

        var reset = await JsonAsync(await admin.PostAsJsonAsync($"/api/v1/users/{bobId}/password", new { password = "set-by-admin" }));

        Assert.Equal(1, reset.GetProperty("sharedVaultsToReshare").GetInt32());
        Assert.Contains("shares them again", reset.GetProperty("notice").GetString(), StringComparison.Ordinal);
        using var anonymous = node.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "bob", password = "bob-password" })).StatusCode);
        using var bobAgain = node.Client(await node.LoginAsync("bob", "set-by-admin"));
        var me = await JsonAsync(await bobAgain.GetAsync("/api/v1/auth/me"));
        Assert.True(me.GetProperty("passwordSetByAdmin").GetBoolean());

        // The shared vault says plainly that it must be shared again, and unlocking it is a 409, not a 500.
        var listed = (await JsonAsync(await bobAgain.GetAsync("/api/v1/vaults"))).EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        Assert.True(listed["family"].GetProperty("needsReshare").GetBoolean());
        Assert.False(listed["mine"].GetProperty("needsReshare").GetBoolean());
        var refused = await bobAgain.PostAsJsonAsync($"/api/v1/vaults/{family}/unlock", new { password = "set-by-admin" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("needs_reshare", await ProblemCodeAsync(refused));
        // Their own vault opens with its passphrase, as before.
        Assert.Equal(HttpStatusCode.NoContent, (await bobAgain.PostAsJsonAsync($"/api/v1/vaults/{mine}/unlock", new { passphrase = "bobs vault passphrase" })).StatusCode);
        Assert.Equal("own", await bobAgain.GetStringAsync($"/api/v1/vaults/{mine}/files/own.txt"));

        // The owner sees who needs sharing again, and why, and shares again: then bob's own password opens it.
        var members = await JsonAsync(await admin.GetAsync($"/api/v1/vaults/{family}/members"));
        var bobRow = members.EnumerateArray().Single(m => m.GetProperty("username").GetString() == "bob");
        Assert.True(bobRow.GetProperty("needsReshare").GetBoolean());
        Assert.True(bobRow.GetProperty("passwordSetByAdmin").GetBoolean());
        Assert.Contains("\"action\":\"share.key_reset\"", await admin.GetStringAsync($"/api/v1/vaults/{family}/audit"), StringComparison.Ordinal);
        await admin.PostAsJsonAsync($"/api/v1/vaults/{family}/unlock", new { passphrase = "vault passphrase" });
        await ShareAsync(admin, family, "bob", "editor");
        await admin.PostAsync($"/api/v1/vaults/{family}/lock", null);
        Assert.False((await JsonAsync(await bobAgain.GetAsync("/api/v1/vaults"))).EnumerateArray().Single(v => v.GetProperty("name").GetString() == "family")
            .GetProperty("needsReshare").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await bobAgain.PostAsJsonAsync($"/api/v1/vaults/{family}/unlock", new { password = "set-by-admin" })).StatusCode);
        Assert.Equal("alpha", await bobAgain.GetStringAsync($"/api/v1/vaults/{family}/files/a.txt"));
    }

    [Fact]
    public async Task AdminReset_EndsSessionsAndApiTokens_AndBadRequestsAre4xx()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Client(await node.LoginAsync());
        using var bob = node.Client(await node.CreateUserAsync("bob", "bob-password"));
        var apiToken = (await JsonAsync(await bob.PostAsJsonAsync("/api/v1/tokens", new { name = "cli" }))).GetProperty("token").GetString()!;
        var bobId = await UserIdAsync(admin, "bob");
        var adminId = await UserIdAsync(admin, "admin");

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/users/{bobId}/password", new { password = "set-by-admin" })).StatusCode);

        using var withApiToken = node.Client(apiToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withApiToken.GetAsync("/api/v1/vaults")).StatusCode);
        var cases = new (Task<HttpResponseMessage> Request, HttpStatusCode Status)[]
        {
            (admin.PostAsJsonAsync("/api/v1/users/no-such-user/password", new { password = "long enough" }), HttpStatusCode.NotFound),
            (admin.PostAsJsonAsync($"/api/v1/users/{bobId}/password", new { password = "short" }), HttpStatusCode.BadRequest),
            (admin.PostAsJsonAsync($"/api/v1/users/{bobId}/password", new { }), HttpStatusCode.BadRequest),
            (admin.PostAsync($"/api/v1/users/{bobId}/password", new StringContent("{", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest),
            (admin.PostAsJsonAsync($"/api/v1/users/{adminId}/password", new { password = "long enough" }), HttpStatusCode.BadRequest),
            (bob.PostAsJsonAsync($"/api/v1/users/{adminId}/password", new { password = "long enough" }), HttpStatusCode.Forbidden),
        };
        foreach (var (request, status) in cases)
        {
            var response = await request;
            Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        // None of those changed anything: the reset password still logs in.
        await node.LoginAsync("bob", "set-by-admin");
        await node.LoginAsync();
    }

    [Fact]
    public async Task TheFirstOwnPasswordChange_MakesAFreshKeyPair_AndTheAdminChosenOneOpensNothing()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Client(await node.LoginAsync());
        var vaults = new[] { await TestNode.CreateVaultAsync(admin, "family"), await TestNode.CreateVaultAsync(admin, "work") };
        foreach (var vault in vaults)
        {
            await admin.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("in " + vault));
        }
        using var bob = node.Client(await node.CreateUserAsync("bob", "chosen-by-admin"));
        foreach (var vault in vaults)
        {
            await ShareAsync(admin, vault, "bob", "viewer");
        }
        var bobId = await UserIdAsync(admin, "bob");
        Assert.True((await JsonAsync(await bob.GetAsync("/api/v1/auth/me"))).GetProperty("passwordSetByAdmin").GetBoolean());
        var before = ReadKey(node, bobId);
        Assert.True(before.SetByAdmin);
        // What the admin could do with the password they chose: open bob's private key, and with it each vault key.
        using var adminsCopy = OpenSealedKey(before, bobId, "chosen-by-admin");
        Assert.All(ReadWrappedKeys(node, bobId), w => Assert.NotNull(Unwrap(node, adminsCopy, bobId, w.VaultId, w.Wrapped)));

        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync("/api/v1/auth/password", new { current = "chosen-by-admin", @new = "only-bob-knows" })).StatusCode);

        var after = ReadKey(node, bobId);
        Assert.False(after.SetByAdmin);
        Assert.NotEqual(before.PublicKey, after.PublicKey);
        Assert.Equal(0L, Scalar(node, "SELECT count(*) FROM user_keys WHERE sealed_private = $s OR public_key = $p", ("$s", before.Sealed), ("$p", before.PublicKey)));
        Assert.Null(TryOpenSealedKey(after, bobId, "chosen-by-admin"));
        var wrapped = ReadWrappedKeys(node, bobId);
        Assert.Equal(2, wrapped.Count);
        Assert.All(wrapped, w => Assert.Null(Unwrap(node, adminsCopy, bobId, w.VaultId, w.Wrapped)));
        Assert.All(wrapped, w => Assert.Equal(SHA256.HashData(after.PublicKey), w.KeyId));
        Assert.False((await JsonAsync(await bob.GetAsync("/api/v1/auth/me"))).GetProperty("passwordSetByAdmin").GetBoolean());
        // Bob still opens every vault shared with him, with his own password.
        foreach (var vault in vaults)
        {
            await admin.PostAsync($"/api/v1/vaults/{vault}/lock", null);
            Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password = "only-bob-knows" })).StatusCode);
            Assert.Equal("in " + vault, await bob.GetStringAsync($"/api/v1/vaults/{vault}/files/a.txt"));
        }
        // A later change rotates again, and the vaults still open.
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync("/api/v1/auth/password", new { current = "only-bob-knows", @new = "bobs-third-password" })).StatusCode);
        Assert.NotEqual(after.PublicKey, ReadKey(node, bobId).PublicKey);
        await admin.PostAsync($"/api/v1/vaults/{vaults[0]}/lock", null);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync($"/api/v1/vaults/{vaults[0]}/unlock", new { password = "bobs-third-password" })).StatusCode);
    }

    [Fact]
    public async Task APasswordChange_MovesTheKeyOfARotatedVault_AndARotationLeavesAResetMemberOut()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(admin, "family");
        await admin.PutAsync($"/api/v1/vaults/{vault}/files/a.txt", new StringContent("alpha"));
        using var bob = node.Client(await node.CreateUserAsync("bob", "chosen-by-admin"));
        await node.CreateUserAsync("carol", "carol-password");
        await ShareAsync(admin, vault, "bob", "editor");
        await ShareAsync(admin, vault, "carol", "viewer");
        async Task RotateAsync() =>
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/vaults/{vault}/rotate-key", new { passphrase = "vault passphrase" })).StatusCode);
        async Task<HttpStatusCode> UnlockAsync(HttpClient client, string password)
        {
            await admin.PostAsync($"/api/v1/vaults/{vault}/lock", null);
            return (await client.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { password })).StatusCode;
        }
        await RotateAsync();

        // Bob's key is of epoch 1 (slot user/ID@1): his password change moves it, and it still opens the vault.
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsJsonAsync("/api/v1/auth/password", new { current = "chosen-by-admin", @new = "only-bob-knows" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, await UnlockAsync(bob, "only-bob-knows"));
        Assert.Equal("alpha", await bob.GetStringAsync($"/api/v1/vaults/{vault}/files/a.txt"));

        // Carol's password is reset; the owner's next rotation gives bob the new key but leaves carol's row alone.
        var carolId = await UserIdAsync(admin, "carol");
        await admin.PostAsJsonAsync($"/api/v1/users/{carolId}/password", new { password = "set-by-admin" });
        var carolBefore = ReadWrappedKeys(node, carolId).Single().Wrapped;
        await admin.PostAsJsonAsync($"/api/v1/vaults/{vault}/unlock", new { passphrase = "vault passphrase" });
        await RotateAsync();
        Assert.Equal(carolBefore, ReadWrappedKeys(node, carolId).Single().Wrapped);
        using var carol = node.Client(await node.LoginAsync("carol", "set-by-admin"));
        Assert.Equal(HttpStatusCode.Conflict, await UnlockAsync(carol, "set-by-admin"));
        Assert.Equal(HttpStatusCode.NoContent, await UnlockAsync(bob, "only-bob-knows"));
    }

    private sealed record StoredKey(byte[] PublicKey, byte[] Sealed, byte[] Salt, int Iterations, int MemoryKiB, bool SetByAdmin);

    private static async Task<string> UserIdAsync(HttpClient admin, string username) =>
        (await JsonAsync(await admin.GetAsync("/api/v1/users"))).EnumerateArray().Single(u => u.GetProperty("username").GetString() == username).GetProperty("id").GetString()!;

    private static SqliteConnection OpenDatabase(TestNode node)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(node.DataDirectory, "node.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    private static StoredKey ReadKey(TestNode node, string userId)
    {
        using var connection = OpenDatabase(node);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT public_key, sealed_private, salt, kdf_t, kdf_m, set_by_admin FROM user_keys WHERE user_id = $u";
        command.Parameters.AddWithValue("$u", userId);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return new StoredKey((byte[])reader.GetValue(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt64(5) != 0);
    }

    private static List<(string VaultId, byte[] Wrapped, byte[]? KeyId)> ReadWrappedKeys(TestNode node, string userId)
    {
        using var connection = OpenDatabase(node);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT vault_id, wrapped_key, key_id FROM vault_members WHERE user_id = $u";
        command.Parameters.AddWithValue("$u", userId);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, byte[], byte[]?)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), (byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : (byte[])reader.GetValue(2)));
        }
        return rows;
    }

    private static long Scalar(TestNode node, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = OpenDatabase(node);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return (long)command.ExecuteScalar()!;
    }

    private static AgreementKey OpenSealedKey(StoredKey key, string userId, string password) =>
        TryOpenSealedKey(key, userId, password) ?? throw new InvalidOperationException("the password does not open the sealed key");

    /// <summary>The sealing of docs/sharing.md, done independently of the node: what someone holding node.db and the password can do.</summary>
    private static AgreementKey? TryOpenSealedKey(StoredKey key, string userId, string password)
    {
        var kek = KeyWrap.PassphraseKek(password, key.Salt, new Argon2Parameters(key.Iterations, key.MemoryKiB));
        var pkcs8 = new byte[key.Sealed.Length - 28];
        try
        {
            using var aes = new AesGcm(kek, 16);
            aes.Decrypt(key.Sealed.AsSpan(0, 12), key.Sealed.AsSpan(12, pkcs8.Length), key.Sealed.AsSpan(key.Sealed.Length - 16), pkcs8,
                [.. "dupa/v1/user-key"u8, .. Encoding.ASCII.GetBytes(userId)]);
            return AgreementKey.FromPrivateKey(pkcs8);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static byte[]? Unwrap(TestNode node, AgreementKey key, string userId, string vaultId, byte[] wrapped) =>
        PublicKeyWrap.TryUnwrap(key, wrapped, "user/" + userId, VaultHeader.Read(Path.Combine(node.DataDirectory, "vaults", vaultId)).VaultIdBytes);
}
