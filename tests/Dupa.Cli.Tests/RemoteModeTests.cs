using System.Diagnostics;
using System.Text.Json;
using Dupa.Cli.Tests.Support;
using Dupa.Testing;

namespace Dupa.Cli.Tests;

/// <summary>The CLI's remote mode against a real <c>dupa serve</c> process: login, --remote on vault commands, pinning.</summary>
public sealed class RemoteModeTests
{
    [Fact]
    public async Task Login_ThenEveryVaultCommandWithRemote_WorksAgainstARealNode()
    {
        using var root = new TempDirectory();
        var port = ServeExampleTests.FreePort();
        using var node = await StartNodeAsync(root, port);
        var environment = new Dictionary<string, string?>
        {
            ["DUPA_CONFIG"] = root.Combine("config", "remotes.json"),
            ["DUPA_PASSWORD"] = "node-password",
            ["DUPA_PASSPHRASE"] = "vault passphrase",
            ["DUPA_VAULT"] = null,
        };
        DupaRun Run(params string[] args) => DupaProcess.Run(args, environment, root.Path);

        var wrong = DupaProcess.Run(["login", $"https://127.0.0.1:{port}", "--name", "home", "--user", "admin"], new Dictionary<string, string?>(environment) { ["DUPA_PASSWORD"] = "not it" }, root.Path);
        Assert.Equal(4, wrong.ExitCode);
        var login = Run("login", $"https://127.0.0.1:{port}", "--name", "home", "--user", "admin", "--fingerprint", node.Fingerprint);
        Assert.True(login.ExitCode == 0, login.ToString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(environment["DUPA_CONFIG"]!));
        }
        Assert.DoesNotContain("dupa_", login.Stdout + login.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, Run("init", "--remote", "home", "--vault", "photos").ExitCode);
        var random = new SeededRandom(77);
        var big = random.NextBytes(3_000_000);
        Directory.CreateDirectory(root.Combine("src", "Photos", "2026"));
        await File.WriteAllBytesAsync(root.Combine("src", "Photos", "2026", "beach.jpg"), big);
        await File.WriteAllTextAsync(root.Combine("src", "Photos", "notes.txt"), "hello");
        var put = Run("put", root.Combine("src", "Photos"), "--remote", "home", "--json");
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal(2, JsonDocument.Parse(put.Stdout).RootElement.GetProperty("filesAdded").GetInt32());
        Assert.Equal(2, JsonDocument.Parse(Run("put", root.Combine("src", "Photos"), "--remote", "home", "--json").Stdout).RootElement.GetProperty("filesUnchanged").GetInt32());

        Assert.Contains("2026/", Run("ls", "/Photos", "--remote", "home").Stdout, StringComparison.Ordinal);
        var get = Run("get", "/Photos", "--to", root.Combine("back"), "--remote", "home");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(big, await File.ReadAllBytesAsync(root.Combine("back", "Photos", "2026", "beach.jpg")));
        Assert.Equal("hello", Run("get", "/Photos/notes.txt", "--remote", "home").Stdout);
        Assert.Contains("/Photos/2026/beach.jpg", Run("find", "beach", "--remote", "home").Stdout, StringComparison.Ordinal);

        Assert.Equal(0, Run("rm", "/Photos/notes.txt", "--remote", "home").ExitCode);
        Assert.Equal(6, Run("get", "/Photos/notes.txt", "--remote", "home").ExitCode);
        Assert.Equal(0, Run("trash", "restore", "/Photos/notes.txt", "--remote", "home").ExitCode);
        Assert.Equal(0, Run("verify", "--remote", "home").ExitCode);
        Assert.Equal(2, Run("passwd", "--remote", "home").ExitCode);

        // A node that presents another certificate is refused, as ssh refuses a changed host key.
        var config = await File.ReadAllTextAsync(environment["DUPA_CONFIG"]!);
        await File.WriteAllTextAsync(environment["DUPA_CONFIG"]!, config.Replace(node.Fingerprint, new string('A', 2) + node.Fingerprint[2..], StringComparison.Ordinal));
        var pinned = Run("ls", "--remote", "home");
        Assert.Equal(11, pinned.ExitCode);
        Assert.Contains("pinned", pinned.Stderr, StringComparison.Ordinal);
        await File.WriteAllTextAsync(environment["DUPA_CONFIG"]!, config);

        // logout revokes the token on the node: a copy of the config no longer works.
        var copy = root.Combine("copy.json");
        File.Copy(environment["DUPA_CONFIG"]!, copy);
        Assert.Equal(0, Run("logout", "home").ExitCode);
        var revoked = DupaProcess.Run(["ls", "--remote", "home"], new Dictionary<string, string?>(environment) { ["DUPA_CONFIG"] = copy }, root.Path);
        Assert.Equal(4, revoked.ExitCode);
    }

    /// <summary>The peers issue's pairing example, in its order, with two node processes (passwords of 8+ characters).</summary>
    [Fact]
    public async Task TwoNodes_LoginIdPeerAddStatus_AsTheExampleRunsIt()
    {
        using var root = new TempDirectory();
        var (portA, portB, peerA, peerB) = (ServeExampleTests.FreePort(), ServeExampleTests.FreePort(), ServeExampleTests.FreePort(), ServeExampleTests.FreePort());
        using var a = await StartNodeAsync(root, portA, "a", peerA);
        using var b = await StartNodeAsync(root, portB, "b", peerB);
        var environment = new Dictionary<string, string?> { ["DUPA_CONFIG"] = root.Combine("config.json"), ["Dupa__PeerHeartbeatSeconds"] = "1" };
        DupaRun Run(string? password, params string[] args) =>
            DupaProcess.Run(args, new Dictionary<string, string?>(environment) { ["DUPA_PASSWORD"] = password }, root.Path);

        Assert.Equal(0, Run("node-password", "login", $"https://127.0.0.1:{portA}", "--name", "a", "--user", "admin").ExitCode);
        Assert.Equal(0, Run("node-password", "login", $"https://127.0.0.1:{portB}", "--name", "b", "--user", "admin").ExitCode);
        var idA = Run(null, "id", "--remote", "a").Stdout.Trim();
        var idB = Run(null, "id", "--remote", "b").Stdout.Trim();
        Assert.Matches("^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$", idA);
        Assert.Equal(idA, Run(null, "id", "--data", root.Combine("node-a")).Stdout.Trim());
        Assert.Equal(0, Run(null, "peer", "add", idB, "--address", $"127.0.0.1:{peerB}", "--remote", "a").ExitCode);
        Assert.Equal(0, Run(null, "peer", "add", idA, "--address", $"127.0.0.1:{peerA}", "--remote", "b").ExitCode);
        JsonElement status = default;
        for (var i = 0; i < 100; i++)
        {
            status = JsonDocument.Parse(Run(null, "status", "--remote", "a", "--json").Stdout).RootElement.Clone();
            if (status.GetProperty("peers")[0].GetProperty("connected").GetBoolean())
            {
                break;
            }
            await Task.Delay(200);
        }
        Assert.True(status.GetProperty("peers")[0].GetProperty("connected").GetBoolean(), status.ToString());
        Assert.Equal(idB, status.GetProperty("peers")[0].GetProperty("deviceId").GetString());
        Assert.Equal(2, Run(null, "peer", "add", "not-an-id", "--remote", "a").ExitCode);
    }

    private sealed class RunningNode(Process process, string fingerprint) : IDisposable
    {
        public string Fingerprint { get; } = fingerprint;

        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }

    private static async Task<RunningNode> StartNodeAsync(TempDirectory root, int port, string name = "", int? peerPort = null)
    {
        string[] args = ["serve", "--data", root.Combine("node" + (name.Length > 0 ? "-" + name : "")), "--urls", $"https://127.0.0.1:{port}"];
        var process = Process.Start(DupaProcess.StartInfo(peerPort is { } p ? [.. args, "--peer-listen", $"127.0.0.1:{p}"] : args, new Dictionary<string, string?>
        {
            ["DUPA_ADMIN_USER"] = "admin",
            ["DUPA_ADMIN_PASSWORD"] = "node-password",
            ["Dupa__PeerHeartbeatSeconds"] = "1",
        }))!;
        string? fingerprint = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Contains("fingerprint ", StringComparison.Ordinal))
            {
                fingerprint = line[(line.LastIndexOf(' ') + 1)..];
            }
            if (line.Contains("created the admin", StringComparison.Ordinal))
            {
                break;
            }
        }
        Assert.NotNull(fingerprint);
        // Keep reading the node's output so it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        return new RunningNode(process, fingerprint);
    }
}
