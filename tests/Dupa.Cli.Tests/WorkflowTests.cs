using System.Text.Json;
using Dupa.Cli.Tests.Support;

namespace Dupa.Cli.Tests;

public sealed class WorkflowTests
{
    [Fact]
    public void VersionsTrashTimeTravel_ThroughTheCli()
    {
        using var vault = new CliVault();
        var notes = vault.WriteFile("notes.txt", "v1"u8.ToArray());
        Assert.Equal(0, vault.Run("put", notes, "--to", "/docs").ExitCode);
        Thread.Sleep(20);
        var between = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        Thread.Sleep(20);
        File.WriteAllText(notes, "version two");
        File.SetLastWriteTimeUtc(notes, DateTime.UnixEpoch.AddYears(60));
        Assert.Equal(0, vault.Run("put", notes, "--to", "/docs").ExitCode);

        using (var history = JsonDocument.Parse(vault.Run("history", "/docs/notes.txt", "--json").Stdout))
        {
            Assert.Equal(2, history.RootElement.GetArrayLength());
        }
        Assert.Equal("v1", vault.Run("get", "/docs/notes.txt", "--version", "1").Stdout);
        Assert.Equal("v1", vault.Run("get", "/docs/notes.txt", "--at", between).Stdout);
        Assert.Equal("version two", vault.Run("get", "/docs/notes.txt").Stdout);
        Assert.Contains("notes.txt", vault.Run("ls", "-l", "/docs").Stdout, StringComparison.Ordinal);

        Assert.Equal(0, vault.Run("rm", "/docs/notes.txt").ExitCode);
        Assert.Equal(6, vault.Run("get", "/docs/notes.txt").ExitCode);
        using (var trash = JsonDocument.Parse(vault.Run("trash", "ls", "--json").Stdout))
        {
            Assert.Equal("/docs/notes.txt", trash.RootElement[0].GetProperty("path").GetString());
        }
        Assert.Equal(0, vault.Run("trash", "restore", "/docs/notes.txt").ExitCode);
        Assert.Equal("version two", vault.Run("get", "/docs/notes.txt").Stdout);

        Assert.Equal(0, vault.Run("rm", "/docs").ExitCode);
        Assert.Equal(0, vault.Run("trash", "empty").ExitCode);
        Assert.Equal("[]", vault.Run("trash", "ls", "--json").Stdout.Trim());
        Assert.Equal(0, vault.Run("verify").ExitCode);
    }

    [Fact]
    public void PasswdRecoverAndIndexRebuild_ThroughTheCli()
    {
        using var vault = new CliVault();
        Assert.Equal(0, vault.Run("put", vault.WriteFile("a.txt", "kept"u8.ToArray())).ExitCode);

        var env = vault.Environment;
        env["DUPA_NEW_PASSPHRASE"] = "second passphrase";
        Assert.Equal(0, vault.RunWith(env, "passwd").ExitCode);
        Assert.Equal(4, vault.Run("ls").ExitCode);

        env = vault.Environment;
        env.Remove("DUPA_PASSPHRASE");
        env["DUPA_RECOVERY_KEY"] = vault.RecoveryKey.ToLowerInvariant();
        env["DUPA_NEW_PASSPHRASE"] = CliVault.Passphrase;
        var recover = vault.RunWith(env, "recover");
        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.Equal("kept", vault.Run("get", "/a.txt").Stdout);

        File.Delete(Path.Combine(vault.VaultDirectory, "index.db"));
        Assert.Equal(0, vault.Run("index", "rebuild").ExitCode);
        Assert.Equal("kept", vault.Run("get", "/a.txt").Stdout);
        using var stats = JsonDocument.Parse(vault.Run("stats", "--json").Stdout);
        Assert.Equal(1, stats.RootElement.GetProperty("files").GetInt32());
        Assert.True(stats.RootElement.GetProperty("dedupRatio").GetDouble() >= 1);
    }

    [Fact]
    public void RotateKey_ThroughTheCli_OldAndNewDataRead_AndTheRecoveryKeyStillOpens()
    {
        using var vault = new CliVault();
        Assert.Equal(0, vault.Run("put", vault.WriteFile("before.txt", "before"u8.ToArray())).ExitCode);
        var rotated = vault.Run("vault", "rotate-key", "--json");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        using (var json = JsonDocument.Parse(rotated.Stdout))
        {
            Assert.Equal(1, json.RootElement.GetProperty("epoch").GetInt32());
        }
        Assert.Equal(0, vault.Run("put", vault.WriteFile("after.txt", "after"u8.ToArray())).ExitCode);
        Assert.Contains("key rotated", vault.Run("log").Stdout, StringComparison.Ordinal);

        var env = vault.Environment;
        env.Remove("DUPA_PASSPHRASE");
        env["DUPA_RECOVERY_KEY"] = vault.RecoveryKey;
        env["DUPA_NEW_PASSPHRASE"] = CliVault.Passphrase;
        Assert.Equal(0, vault.RunWith(env, "recover").ExitCode);
        Assert.Equal("before", vault.Run("get", "/before.txt").Stdout);
        Assert.Equal("after", vault.Run("get", "/after.txt").Stdout);
        Assert.Equal(0, vault.Run("verify").ExitCode);
        // A node the CLI never logged in to is a clear error, not a crash.
        var unknown = vault.Run("vault", "rotate-key", "photos", "--remote", "nowhere");
        Assert.Equal(6, unknown.ExitCode);
        Assert.Contains("no node named 'nowhere'", unknown.Stderr, StringComparison.Ordinal);
    }
}
