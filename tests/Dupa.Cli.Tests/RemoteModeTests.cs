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
        var port = Waiting.FreePort();
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
        // remotes.json holds the API token; the list of nodes, as text or JSON, never prints it.
        Assert.Contains("dupa_", File.ReadAllText(environment["DUPA_CONFIG"]!), StringComparison.Ordinal);
        var remotes = Run("remote", "ls", "--json");
        Assert.Equal("home", JsonDocument.Parse(remotes.Stdout).RootElement[0].GetProperty("name").GetString());
        Assert.DoesNotContain("dupa_", remotes.Stdout + Run("remote", "ls").Stdout, StringComparison.Ordinal);

        Assert.Equal(0, Run("init", "--remote", "home", "--vault", "photos").ExitCode);
        var random = new SeededRandom(77);
        var big = random.NextBytes(5_000_000);
        Directory.CreateDirectory(root.Combine("src", "Photos", "2026"));
        await File.WriteAllBytesAsync(root.Combine("src", "Photos", "2026", "beach.jpg"), big);
        await File.WriteAllTextAsync(root.Combine("src", "Photos", "notes.txt"), "hello");
        await File.WriteAllTextAsync(root.Combine("src", "Photos", "todo.txt"), "swim");
        if (OperatingSystem.IsLinux())
        {
            // A FIFO among the files is skipped: reading it would wait for a writer for ever.
            using var mkfifo = Process.Start("mkfifo", root.Combine("src", "Photos", "pipe"));
            await mkfifo.WaitForExitAsync();
        }
        var put = Run("put", root.Combine("src", "Photos"), "--remote", "home", "--json");
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal(3, JsonDocument.Parse(put.Stdout).RootElement.GetProperty("filesAdded").GetInt32());
        Assert.Equal(3, JsonDocument.Parse(Run("put", root.Combine("src", "Photos"), "--remote", "home", "--json").Stdout).RootElement.GetProperty("filesUnchanged").GetInt32());
        // The large file went first, on its own; the small ones after it, together as one commit (newest first here).
        var puts = JsonDocument.Parse(Run("log", "--remote", "home", "--json").Stdout).RootElement.EnumerateArray()
            .Select(r => (Entry: r.GetProperty("sequence").GetInt64(), Paths: r.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList()))
            .Where(r => r.Paths.Any(p => p.StartsWith("/Photos/", StringComparison.Ordinal)))
            .GroupBy(r => r.Entry).Select(g => g.SelectMany(r => r.Paths).Order(StringComparer.Ordinal).ToList()).ToList();
        Assert.Equal([["/Photos/notes.txt", "/Photos/todo.txt"], ["/Photos/2026/beach.jpg"]], puts);

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
        await File.WriteAllTextAsync(environment["DUPA_CONFIG"]!, config.Replace(node.Fingerprint, (node.Fingerprint.StartsWith('A') ? "B" : "A") + node.Fingerprint[1..], StringComparison.Ordinal));
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
        var (portA, portB, peerA, peerB) = (Waiting.FreePort(), Waiting.FreePort(), Waiting.FreePort(), Waiting.FreePort());
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

    /// <summary>
    /// Three node processes; A and B cannot dial each other (each has the other at a port where nothing listens), C
    /// relays. 'dupa peer ls' and 'dupa status' say through which peer each is connected, and what the relay does.
    /// </summary>
    [Fact]
    public async Task PeersThatCannotDialEachOther_ConnectThroughARelay_AndTheCliSaysSo()
    {
        using var root = new TempDirectory();
        var ports = Enumerable.Range(0, 7).Select(_ => Waiting.FreePort()).ToArray();
        using var a = await StartNodeAsync(root, ports[0], "a", ports[1]);
        using var b = await StartNodeAsync(root, ports[2], "b", ports[3]);
        using var c = await StartNodeAsync(root, ports[4], "c", ports[5], new Dictionary<string, string?> { ["Dupa__Relay"] = "true" });
        var environment = new Dictionary<string, string?> { ["DUPA_CONFIG"] = root.Combine("config.json"), ["DUPA_PASSWORD"] = "node-password" };
        DupaRun Run(params string[] args) => DupaProcess.Run(args, environment, root.Path);
        foreach (var (name, port) in new[] { ("a", ports[0]), ("b", ports[2]), ("c", ports[4]) })
        {
            Assert.Equal(0, Run("login", $"https://127.0.0.1:{port}", "--name", name, "--user", "admin").ExitCode);
        }
        var ids = new[] { "a", "b", "c" }.ToDictionary(n => n, n => Run("id", "--remote", n).Stdout.Trim());
        foreach (var (at, peer, address) in new[] { ("a", "c", $"127.0.0.1:{ports[5]}"), ("b", "c", $"127.0.0.1:{ports[5]}"), ("a", "b", $"127.0.0.1:{ports[6]}"), ("b", "a", $"127.0.0.1:{ports[6]}") })
        {
            Assert.Equal(0, Run("peer", "add", ids[peer], "--address", address, "--name", peer, "--remote", at).ExitCode);
        }
        Assert.Equal(0, Run("peer", "add", ids["a"], "--name", "a", "--remote", "c").ExitCode);
        Assert.Equal(0, Run("peer", "add", ids["b"], "--name", "b", "--remote", "c").ExitCode);

        string Line(string remote, string peer) => Run("peer", "ls", "--remote", remote).Stdout.Split('\n').FirstOrDefault(l => l.StartsWith(peer + "  ", StringComparison.Ordinal)) ?? "";
        await Waiting.UntilAsync(() => Task.FromResult(Line("a", "b").Contains("connected via c", StringComparison.Ordinal) && Line("b", "a").Contains("connected via c", StringComparison.Ordinal)), 60);
        Assert.Contains("connected, relays", Line("a", "c"), StringComparison.Ordinal);
        var relayStatus = Run("status", "--remote", "c").Stdout;
        Assert.Contains("relay: on, listening: a, b", relayStatus, StringComparison.Ordinal);
        Assert.Contains("listening for relayed sessions at: c", Run("status", "--remote", "b").Stdout, StringComparison.Ordinal);
        Assert.Equal(ids["c"], JsonDocument.Parse(Run("peer", "ls", "--remote", "a", "--json").Stdout).RootElement.EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "b").GetProperty("via").GetString());
    }

    /// <summary>
    /// A vault on a node holding symlinks, modes and directory times (put by another device: here the CLI on the
    /// node's own copy while the node is stopped): a remote get restores them as a local get does. Each symlink is made
    /// with its stored target, in a tree, alone, over an older link, and dangling, instead of being left out without a
    /// word; files and directories get their permission bits, directories their times after their contents.
    /// </summary>
    [Fact]
    public async Task RemoteGet_RestoresSymlinksModesAndDirectoryTimes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var root = new TempDirectory();
        using var home = await LogInAsync(root);
        Assert.Equal(0, home.Run("init", "--remote", "home", "--vault", "photos").ExitCode);
        var vaultId = JsonDocument.Parse(home.Run("vault", "ls", "--remote", "home", "--json").Stdout).RootElement[0].GetProperty("id").GetString()!;
        home.Dispose();
        Directory.CreateDirectory(root.Combine("src", "album", "2026"));
        await File.WriteAllTextAsync(root.Combine("src", "album", "2026", "beach.txt"), "sand");
        File.CreateSymbolicLink(root.Combine("src", "album", "latest"), "2026/beach.txt");
        File.CreateSymbolicLink(root.Combine("src", "album", "gone"), "/nowhere/at/all");
        await File.WriteAllTextAsync(root.Combine("src", "album", "run.sh"), "echo hi");
        File.SetUnixFileMode(root.Combine("src", "album", "run.sh"), (UnixFileMode)0b111_101_000);
        File.SetUnixFileMode(root.Combine("src", "album", "2026"), (UnixFileMode)0b101_000_000);
        File.SetUnixFileMode(root.Combine("src", "album"), (UnixFileMode)0b111_101_000);
        var (yearTime, albumTime) = (new DateTime(2026, 7, 1, 10, 0, 0, DateTimeKind.Utc), new DateTime(2026, 8, 2, 11, 0, 0, DateTimeKind.Utc));
        Directory.SetLastWriteTimeUtc(root.Combine("src", "album", "2026"), yearTime);
        Directory.SetLastWriteTimeUtc(root.Combine("src", "album"), albumTime);
        var onDisk = new Dictionary<string, string?>(home.Environment) { ["DUPA_VAULT"] = root.Combine("node", "vaults", vaultId) };
        var put = DupaProcess.Run(["put", root.Combine("src", "album")], onDisk, root.Path);
        Assert.True(put.ExitCode == 0, put.ToString());

        using var node = await StartNodeAsync(root, home.Port);
        Directory.CreateDirectory(root.Combine("out", "album"));
        File.CreateSymbolicLink(root.Combine("out", "album", "latest"), "an/older/target");
        var get = home.Run("get", "/album", "--to", root.Combine("out"), "--remote", "home", "--vault", "photos");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("sand", await File.ReadAllTextAsync(root.Combine("out", "album", "latest")));
        Assert.Equal("2026/beach.txt", new FileInfo(root.Combine("out", "album", "latest")).LinkTarget);
        Assert.Equal("/nowhere/at/all", new FileInfo(root.Combine("out", "album", "gone")).LinkTarget);
        Assert.Contains("2 symlink(s)", get.Stderr, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(root.Combine("out", "album", "run.sh")));
        // A read-only directory, given its mode after its files were written into it; the top directory too.
        Assert.Equal((UnixFileMode)0b101_000_000, File.GetUnixFileMode(root.Combine("out", "album", "2026")));
        Assert.Equal(yearTime, Directory.GetLastWriteTimeUtc(root.Combine("out", "album", "2026")));
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(root.Combine("out", "album")));
        Assert.Equal(albumTime, Directory.GetLastWriteTimeUtc(root.Combine("out", "album")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Combine("out"), "*.tmp", SearchOption.AllDirectories));

        var alone = home.Run("get", "/album/latest", "--to", root.Combine("one"), "--remote", "home", "--vault", "photos");
        Assert.True(alone.ExitCode == 0, alone.ToString());
        Assert.Equal("2026/beach.txt", new FileInfo(root.Combine("one", "latest")).LinkTarget);
        Assert.Equal(2, home.Run("get", "/album/latest", "--version", "1", "--to", root.Combine("two"), "--remote", "home", "--vault", "photos").ExitCode);
        // Writable again, so that the temporary directory can be removed by a user who is not root.
        File.SetUnixFileMode(root.Combine("src", "album", "2026"), (UnixFileMode)0b111_000_000);
        File.SetUnixFileMode(root.Combine("out", "album", "2026"), (UnixFileMode)0b111_000_000);
    }

    /// <summary>
    /// Three node processes: A's vault replicated to B and C. B is killed (SIGKILL) in the middle of its first
    /// transfer and restarted; it resumes and ends with the same bytes as C and as A offers, and verifies clean.
    /// </summary>
    [Fact]
    public async Task ThreeNodes_AReplicaKilledMidTransfer_ResumesAndEndsIdentical()
    {
        using var root = new TempDirectory();
        var ports = Enumerable.Range(0, 6).Select(_ => Waiting.FreePort()).ToArray();
        using var a = await StartNodeAsync(root, ports[0], "a", ports[1]);
        using var b = await StartNodeAsync(root, ports[2], "b", ports[3]); // killed part-way; disposing twice is harmless
        using var c = await StartNodeAsync(root, ports[4], "c", ports[5]);
        var environment = new Dictionary<string, string?> { ["DUPA_CONFIG"] = root.Combine("config.json"), ["DUPA_PASSWORD"] = "node-password", ["DUPA_PASSPHRASE"] = "vault passphrase" };
        DupaRun Run(params string[] args) => DupaProcess.Run(args, environment, root.Path);
        foreach (var (name, port) in new[] { ("a", ports[0]), ("b", ports[2]), ("c", ports[4]) })
        {
            Assert.Equal(0, Run("login", $"https://127.0.0.1:{port}", "--name", name, "--user", "admin").ExitCode);
        }
        var ids = new[] { "a", "b", "c" }.ToDictionary(n => n, n => Run("id", "--remote", n).Stdout.Trim());
        foreach (var (from, to, port) in new[] { ("a", "b", ports[3]), ("a", "c", ports[5]), ("b", "a", ports[1]), ("c", "a", ports[1]) })
        {
            Assert.Equal(0, Run("peer", "add", ids[to], "--address", $"127.0.0.1:{port}", "--remote", from).ExitCode);
        }
        Assert.Equal(0, Run("init", "--remote", "a", "--vault", "photos").ExitCode);
        // About 90 MiB in three files: three 32 MiB packs or more, so a transfer takes long enough to interrupt.
        var random = new SeededRandom(3);
        Directory.CreateDirectory(root.Combine("src"));
        for (var i = 0; i < 3; i++)
        {
            await File.WriteAllBytesAsync(root.Combine("src", $"big{i}.bin"), random.NextBytes(30 * 1024 * 1024));
        }
        Assert.Equal(0, Run("put", root.Combine("src"), "--remote", "a", "--vault", "photos").ExitCode);
        var vaultId = JsonDocument.Parse(Run("vault", "ls", "--remote", "a", "--json").Stdout).RootElement[0].GetProperty("id").GetString()!;
        var owner = root.Combine("node-a", "vaults", vaultId);
        string Replica(string node) => root.Combine($"node-{node}", "replicas", vaultId);
        int Packs(string directory) => Directory.Exists(Path.Combine(directory, "packs"))
            ? Directory.EnumerateFiles(Path.Combine(directory, "packs"), "*.pack", SearchOption.AllDirectories).Count(f => !Path.GetRelativePath(directory, f).StartsWith("packs/tmp", StringComparison.Ordinal))
            : 0;
        var total = Packs(owner);
        Assert.True(total >= 3, $"{total} packs");

        Assert.Equal(0, Run("vault", "share", "photos", "--peer", ids["c"], "--role", "replica", "--remote", "a").ExitCode);
        // B's transfer starts the moment it is shared (it is pushed), so watch from before the share: kill B once it
        // holds part of the vault, a pack being received or some packs but not all.
        var sharing = Task.Run(() => Run("vault", "share", "photos", "--peer", ids["b"], "--role", "replica", "--remote", "a"));
        string Incoming() => Path.Combine(Replica("b"), "packs", "tmp");
        var (killedAt, have) = await WatchToKillAsync(b, () =>
        {
            var have = Packs(Replica("b"));
            var receiving = Directory.Exists(Incoming()) && Directory.EnumerateFiles(Incoming()).Any();
            return (have < total && (have >= 1 || receiving), have >= total, have);
        });
        Assert.Equal(0, (await sharing).ExitCode);
        Assert.True(killedAt, have >= total ? "the replica finished before it could be killed mid-transfer" : $"the replica held {have} of {total} packs and received none");
        using var restarted = await StartNodeAsync(root, ports[2], "b", ports[3]);
        for (var i = 0; i < 300 && (Packs(Replica("b")) < total || Packs(Replica("c")) < total); i++)
        {
            await Task.Delay(100);
        }
        foreach (var node in new[] { "b", "c" })
        {
            var copy = new Core.Replication.ReplicaCopy(Replica(node));
            Assert.Equal(0, copy.BytesBehind(Core.Replication.ReplicaCopy.Offer(owner)));
            Assert.Empty(copy.Verify());
        }
        foreach (var file in Directory.EnumerateFiles(Replica("c"), "*", SearchOption.AllDirectories).Where(f => !Path.GetRelativePath(Replica("c"), f).StartsWith("packs/tmp", StringComparison.Ordinal)))
        {
            var twin = Path.Combine(Replica("b"), Path.GetRelativePath(Replica("c"), file));
            var (mine, theirs) = (await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(twin));
            Assert.True(mine.AsSpan().SequenceEqual(theirs), $"{twin} differs");
        }
        Assert.Contains("up to date", Run("status", "--remote", "b").Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Two node processes: A shares a vault with B as a member, and B is killed (SIGKILL) in the middle of its first
    /// pull. Restarted, B resumes, ends with every file bit-identical, verifies clean, and writes on.
    /// </summary>
    [Fact]
    public async Task AMemberKilledMidPull_ResumesAndEndsIdentical()
    {
        using var root = new TempDirectory();
        var pair = await StartPinnedPairAsync(root);
        using var a = pair.A;
        using var b = pair.B;
        var (environment, ports, idB) = (pair.Environment, pair.Ports, pair.IdB);
        DupaRun Run(params string[] args) => DupaProcess.Run(args, environment, root.Path);
        Assert.Equal(0, Run("init", "--remote", "a", "--vault", "photos").ExitCode);
        var random = new SeededRandom(17);
        Directory.CreateDirectory(root.Combine("src"));
        for (var i = 0; i < 2; i++)
        {
            await File.WriteAllBytesAsync(root.Combine("src", $"big{i}.bin"), random.NextBytes(30 * 1024 * 1024));
        }
        Assert.Equal(0, Run("put", root.Combine("src"), "--remote", "a", "--vault", "photos").ExitCode);
        var vaultId = JsonDocument.Parse(Run("vault", "ls", "--remote", "a", "--json").Stdout).RootElement[0].GetProperty("id").GetString()!;
        var copy = root.Combine("node-b", "vaults", vaultId);

        // B joins and pulls the moment it is shared: kill it once chunks are arriving, before the last one.
        var sharing = Task.Run(() => Run("vault", "share", "photos", "--peer", idB, "--role", "member", "--remote", "a"));
        var (killed, _) = await WatchToKillAsync(b, () =>
        {
            var packs = Path.Combine(copy, "packs");
            return (Directory.Exists(packs) && Directory.EnumerateFiles(packs, "*", SearchOption.AllDirectories).Any(), false, 0);
        });
        Assert.Equal(0, (await sharing).ExitCode);
        Assert.True(killed, "no chunk reached the member");

        using var restarted = await StartNodeAsync(root, ports[2], "b", ports[3]);
        await Waiting.UntilAsync(() => Task.FromResult(Run("get", "/src", "--to", root.Combine("from-b"), "--remote", "b", "--vault", "photos").ExitCode == 0
            && Enumerable.Range(0, 2).All(i => File.Exists(root.Combine("from-b", "src", $"big{i}.bin")))), 120);
        for (var i = 0; i < 2; i++)
        {
            var (original, pulled) = (await File.ReadAllBytesAsync(root.Combine("src", $"big{i}.bin")), await File.ReadAllBytesAsync(root.Combine("from-b", "src", $"big{i}.bin")));
            Assert.True(original.AsSpan().SequenceEqual(pulled), $"big{i}.bin differs");
        }
        var verify = Run("verify", "--remote", "b", "--vault", "photos");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        await File.WriteAllTextAsync(root.Combine("after.txt"), "written on B after the crash");
        Assert.Equal(0, Run("put", root.Combine("after.txt"), "--remote", "b", "--vault", "photos").ExitCode);
        await Waiting.UntilAsync(() => Task.FromResult(Run("ls", "/", "--remote", "a", "--vault", "photos").Stdout.Contains("after.txt", StringComparison.Ordinal)), 60);
    }

    /// <summary>
    /// Disaster recovery over the network (docs/protocol.md, Recovery from a replica): A's vault is replicated to B,
    /// A is gone, and a new machine brings the vault back from B with the passphrase, once B's admin allows it.
    /// </summary>
    [Fact]
    public async Task RecoverFromAReplica_OnANewMachine_OnceTheReplicaAllowsIt()
    {
        using var root = new TempDirectory();
        var pair = await StartPinnedPairAsync(root);
        using var a = pair.A;
        using var b = pair.B;
        var (environment, ports, idB) = (pair.Environment, pair.Ports, pair.IdB);
        DupaRun Run(params string[] args) => DupaProcess.Run(args, environment, root.Path);
        Assert.Equal(0, Run("init", "--remote", "a", "--vault", "photos").ExitCode);
        var random = new SeededRandom(9);
        Directory.CreateDirectory(root.Combine("src", "album"));
        await File.WriteAllBytesAsync(root.Combine("src", "album", "one.jpg"), random.NextBytes(1_500_000));
        await File.WriteAllBytesAsync(root.Combine("src", "notes.txt"), "the only copy"u8.ToArray());
        Assert.Equal(0, Run("put", root.Combine("src"), "--remote", "a", "--vault", "photos").ExitCode);
        var vaultId = JsonDocument.Parse(Run("vault", "ls", "--remote", "a", "--json").Stdout).RootElement[0].GetProperty("id").GetString()!;
        Assert.Equal(0, Run("vault", "share", "photos", "--peer", idB, "--role", "replica", "--remote", "a").ExitCode);
        await Waiting.UntilAsync(() => Task.FromResult(Run("status", "--remote", "b").Stdout.Contains("up to date", StringComparison.Ordinal)), 60);
        a.Dispose(); // A's disk dies.

        // The new machine has its own identity; B refuses it until B's admin allows it to recover this vault.
        var newMachine = new Dictionary<string, string?>(environment) { ["DUPA_CONFIG"] = root.Combine("new-machine", "config.json") };
        DupaRun Recover() => DupaProcess.Run(["recover", "--from", $"127.0.0.1:{ports[3]}", "--peer-id", idB, "--vault", root.Combine("recovered")], newMachine, root.Path);
        var refused = Recover();
        Assert.True(refused.ExitCode == 11, refused.ToString());
        Assert.Contains("dupa peer add", refused.Stderr, StringComparison.Ordinal);
        var newId = DupaProcess.Run(["id", "--data", root.Combine("new-machine")], newMachine, root.Path).Stdout.Trim();
        Assert.Contains(newId, refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, Run("peer", "add", newId, "--recover", vaultId, "--remote", "b").ExitCode);

        var recovered = Recover();
        Assert.True(recovered.ExitCode == 0, recovered.Stderr);
        Assert.Contains("recovered 2 files", recovered.Stdout, StringComparison.Ordinal);
        var local = new Dictionary<string, string?>(newMachine) { ["DUPA_VAULT"] = root.Combine("recovered") };
        Assert.Equal(0, DupaProcess.Run(["get", "/src", "--to", root.Combine("restored")], local, root.Path).ExitCode);
        foreach (var file in new[] { Path.Combine("album", "one.jpg"), "notes.txt" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(root.Combine("src", file)), await File.ReadAllBytesAsync(root.Combine("restored", "src", file)));
        }
        // The new machine is a device of the vault: it writes, and the vault verifies.
        await File.WriteAllTextAsync(root.Combine("after.txt"), "life goes on");
        Assert.Equal(0, DupaProcess.Run(["put", root.Combine("after.txt")], local, root.Path).ExitCode);
        Assert.Equal(0, DupaProcess.Run(["verify"], local, root.Path).ExitCode);
    }

    /// <summary>
    /// Two node processes, "a" and "b", that pin each other, with the CLI logged in to both (config in the test's
    /// root) and the vault passphrase in its environment.
    /// </summary>
    private static async Task<PinnedPair> StartPinnedPairAsync(TempDirectory root)
    {
        var ports = Enumerable.Range(0, 4).Select(_ => Waiting.FreePort()).ToArray();
        // Until the pair is handed over, a failure here kills both nodes: none is left running after the test.
        using var a = await StartNodeAsync(root, ports[0], "a", ports[1]);
        using var b = await StartNodeAsync(root, ports[2], "b", ports[3]);
        var environment = new Dictionary<string, string?> { ["DUPA_CONFIG"] = root.Combine("config.json"), ["DUPA_PASSWORD"] = "node-password", ["DUPA_PASSPHRASE"] = "vault passphrase" };
        DupaRun Run(params string[] args) => DupaProcess.Run(args, environment, root.Path);
        Assert.Equal(0, Run("login", $"https://127.0.0.1:{ports[0]}", "--name", "a", "--user", "admin").ExitCode);
        Assert.Equal(0, Run("login", $"https://127.0.0.1:{ports[2]}", "--name", "b", "--user", "admin").ExitCode);
        var (idA, idB) = (Run("id", "--remote", "a").Stdout.Trim(), Run("id", "--remote", "b").Stdout.Trim());
        Assert.Equal(0, Run("peer", "add", idB, "--address", $"127.0.0.1:{ports[3]}", "--remote", "a").ExitCode);
        Assert.Equal(0, Run("peer", "add", idA, "--address", $"127.0.0.1:{ports[1]}", "--remote", "b").ExitCode);
        return new PinnedPair(a.HandOver(), b.HandOver(), ports, environment, idA, idB);
    }

    /// <summary>Nodes a and b; ports: a's API, a's peer port, b's API, b's peer port.</summary>
    private sealed record PinnedPair(RunningNode A, RunningNode B, int[] Ports, Dictionary<string, string?> Environment, string IdA, string IdB);

    /// <summary>A node on 127.0.0.1 with the CLI logged in to it as "home", as admin; new vaults get one passphrase.</summary>
    private static async Task<LoggedIn> LogInAsync(TempDirectory root)
    {
        var port = Waiting.FreePort();
        var node = await StartNodeAsync(root, port);
        var environment = new Dictionary<string, string?>
        {
            ["DUPA_CONFIG"] = root.Combine("config", "remotes.json"),
            ["DUPA_PASSWORD"] = "node-password",
            ["DUPA_PASSPHRASE"] = "vault passphrase",
            ["DUPA_VAULT"] = null,
        };
        var home = new LoggedIn(node, port, environment, root.Path);
        var login = home.Run("login", $"https://127.0.0.1:{port}", "--name", "home", "--user", "admin", "--fingerprint", node.Fingerprint);
        Assert.True(login.ExitCode == 0, login.ToString());
        return home;
    }

    private sealed record LoggedIn(RunningNode Node, int Port, Dictionary<string, string?> Environment, string Directory) : IDisposable
    {
        public DupaRun Run(params string[] args) => DupaProcess.Run(args, Environment, Directory);

        public void Dispose() => Node.Dispose();
    }

    private sealed class RunningNode(Process process, string fingerprint) : IDisposable
    {
        private bool _released;

        public string Fingerprint { get; } = fingerprint;

        /// <summary>Hands the process over to another owner: disposing this one no longer kills it.</summary>
        public void Release() => _released = true;

        /// <summary>The same process in a new owner, which the caller disposes; disposing this one no longer kills it.</summary>
        public RunningNode HandOver()
        {
            Release();
            return new RunningNode(process, Fingerprint);
        }

        public void Dispose()
        {
            if (_released)
            {
                return;
            }
            _released = true;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }

    [Fact]
    public async Task RemoteGet_ANameOfTheLongestLength_IsWritten_AndReplacesTheFileThere()
    {
        using var root = new TempDirectory();
        using var home = await LogInAsync(root);
        DupaRun Run(params string[] args) => home.Run(args);
        Assert.Equal(0, Run("init", "--remote", "home", "--vault", "long").ExitCode);
        // 250 bytes: a temporary name of the name and a random suffix would pass the 255-byte limit.
        var name = new string('n', 250);
        Directory.CreateDirectory(root.Combine("src", "docs"));
        await File.WriteAllTextAsync(root.Combine("src", "docs", name), "from the vault");
        Assert.Equal(0, Run("put", root.Combine("src", "docs"), "--remote", "home").ExitCode);

        Directory.CreateDirectory(root.Combine("back", "docs"));
        await File.WriteAllTextAsync(root.Combine("back", "docs", name), "older");
        var get = Run("get", "/docs", "--to", root.Combine("back"), "--remote", "home");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("from the vault", await File.ReadAllTextAsync(root.Combine("back", "docs", name)));
        Assert.Equal([name], Directory.EnumerateFileSystemEntries(root.Combine("back", "docs")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ShareAndLink_FromTheCli_GiveAnotherUserTheVault_AndAnyoneALink()
    {
        using var root = new TempDirectory();
        using var home = await LogInAsync(root);
        DupaRun Run(params string[] args) => home.Run(args);
        Assert.Equal(0, Run("init", "--remote", "home", "--vault", "photos").ExitCode);
        await File.WriteAllTextAsync(root.Combine("notes.txt"), "hello link");
        Assert.Equal(0, Run("put", root.Combine("notes.txt"), "--remote", "home").ExitCode);
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{home.Port}"),
        };
        var login = await http.PostAsync("/api/v1/auth/login", Json(new { username = "admin", password = "node-password" }));
        var token = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString();
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/users") { Content = Json(new { username = "bob", password = "bob-password" }) };
        create.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.True((await http.SendAsync(create)).IsSuccessStatusCode);

        var add = Run("share", "add", "photos", "bob", "--role", "editor", "--remote", "home");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("shared with bob as editor", add.Stdout, StringComparison.Ordinal);
        var ls = Run("share", "ls", "photos", "--remote", "home");
        Assert.Contains("bob", ls.Stdout, StringComparison.Ordinal);
        Assert.Contains("by admin", ls.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, Run("share", "add", "photos", "bob", "--role", "owner", "--remote", "home").ExitCode);
        Assert.Equal(6, Run("share", "add", "photos", "nobody", "--remote", "home").ExitCode);

        var link = Run("link", "create", "photos", "/notes.txt", "--max-uses", "2", "--expires", "7d", "--remote", "home");
        Assert.True(link.ExitCode == 0, link.ToString());
        var secret = link.Stdout.Trim()[(link.Stdout.Trim().LastIndexOf('/') + 1)..];
        Assert.Equal("hello link", await http.GetStringAsync($"/api/v1/links/{secret}/files/"));
        var links = Run("link", "ls", "photos", "--remote", "home", "--json");
        var only = JsonDocument.Parse(links.Stdout).RootElement[0];
        Assert.Equal(1, only.GetProperty("uses").GetInt64());
        Assert.Equal(0, Run("link", "rm", "photos", only.GetProperty("id").GetString()!, "--remote", "home").ExitCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync($"/api/v1/links/{secret}/files/")).StatusCode);
        Assert.Contains("link.revoked", Run("share", "log", "photos", "--remote", "home").Stdout, StringComparison.Ordinal);

        // Bob, on his own login, reads the vault after it was locked: the CLI unlocks it with his password.
        var asBob = new Dictionary<string, string?>(home.Environment) { ["DUPA_PASSWORD"] = "bob-password", ["DUPA_PASSPHRASE"] = "not the passphrase" };
        Assert.Equal(0, DupaProcess.Run(["login", $"https://127.0.0.1:{home.Port}", "--name", "bobs", "--user", "bob", "--fingerprint", home.Node.Fingerprint], asBob, root.Path).ExitCode);
        using var lockVault = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/vaults/{await VaultIdAsync(http, token!, "photos")}/lock");
        lockVault.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.True((await http.SendAsync(lockVault)).IsSuccessStatusCode);
        var read = DupaProcess.Run(["get", "/notes.txt", "--remote", "bobs", "--vault", "photos"], asBob, root.Path);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("hello link", read.Stdout);
        Assert.Contains("shared by admin as editor", DupaProcess.Run(["vault", "ls", "--remote", "bobs"], asBob, root.Path).Stdout, StringComparison.Ordinal);

        Assert.Equal(0, Run("share", "rm", "photos", "bob", "--remote", "home").ExitCode);
        Assert.Equal(6, DupaProcess.Run(["get", "/notes.txt", "--remote", "bobs", "--vault", "photos"], asBob, root.Path).ExitCode);
        Assert.DoesNotContain("bob", Run("share", "ls", "photos", "--remote", "home").Stdout, StringComparison.Ordinal);

        // The admin resets bob's password: the CLI says what that costs, and the owner sees who must be shared with again.
        Assert.Equal(0, Run("share", "add", "photos", "bob", "--role", "viewer", "--remote", "home").ExitCode);
        Assert.Contains("bob", Run("user", "ls", "--remote", "home").Stdout, StringComparison.Ordinal);
        var withNewPassword = new Dictionary<string, string?>(home.Environment) { ["DUPA_NEW_PASSWORD"] = "set-by-the-admin" };
        var passwd = DupaProcess.Run(["user", "passwd", "bob", "--remote", "home"], withNewPassword, root.Path);
        Assert.True(passwd.ExitCode == 0, passwd.ToString());
        Assert.Contains("cannot be opened with their new key until each owner or manager shares them again", passwd.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("set-by-the-admin", passwd.Stdout + passwd.Stderr, StringComparison.Ordinal);
        Assert.Contains("NEEDS SHARING AGAIN", Run("share", "ls", "photos", "--remote", "home").Stdout, StringComparison.Ordinal);
        // Bob's CLI token ended with the reset; his new password logs in, and the vault list says what to do.
        Assert.NotEqual(0, DupaProcess.Run(["vault", "ls", "--remote", "bobs"], asBob, root.Path).ExitCode);
        var asBobAgain = new Dictionary<string, string?>(asBob) { ["DUPA_PASSWORD"] = "set-by-the-admin" };
        Assert.Equal(0, DupaProcess.Run(["login", $"https://127.0.0.1:{home.Port}", "--name", "bobs", "--user", "bob", "--fingerprint", home.Node.Fingerprint], asBobAgain, root.Path).ExitCode);
        Assert.Contains("needs sharing again: ask admin", DupaProcess.Run(["vault", "ls", "--remote", "bobs"], asBobAgain, root.Path).Stdout, StringComparison.Ordinal);
        Assert.Equal(6, DupaProcess.Run(["user", "passwd", "nobody", "--remote", "home"], withNewPassword, root.Path).ExitCode);
    }

    private static async Task<string> VaultIdAsync(HttpClient http, string token, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/vaults");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var vaults = JsonDocument.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        return vaults.EnumerateArray().First(v => v.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");

    /// <summary>
    /// Watches, about every millisecond on a thread of its own, for the moment to kill <paramref name="node"/> (SIGKILL,
    /// by disposing it): when <paramref name="look"/> says kill. Gives up when it says the work is done, or after two
    /// minutes. The loops this replaced gave up after a few thousand polls (6–10 s), which a loaded machine's transfer
    /// could outlast before it began, and their pauses ran on the thread pool that the test's other work shares.
    /// </summary>
    private static Task<(bool Killed, int Seen)> WatchToKillAsync(RunningNode node, Func<(bool Kill, bool Done, int Seen)> look) =>
        Task.Factory.StartNew(() =>
        {
            var watching = Stopwatch.StartNew();
            var seen = 0;
            while (watching.Elapsed < TimeSpan.FromMinutes(2))
            {
                (var kill, var done, seen) = look();
                if (kill)
                {
                    node.Dispose();
                    return (true, seen);
                }
                if (done)
                {
                    break;
                }
                Thread.Sleep(1);
            }
            return (false, seen);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static async Task<RunningNode> StartNodeAsync(TempDirectory root, int port, string name = "", int? peerPort = null, Dictionary<string, string?>? settings = null)
    {
        string[] args = ["serve", "--data", root.Combine("node" + (name.Length > 0 ? "-" + name : "")), "--urls", $"https://127.0.0.1:{port}"];
        var environment = new Dictionary<string, string?>(settings ?? [])
        {
            ["DUPA_ADMIN_USER"] = "admin",
            ["DUPA_ADMIN_PASSWORD"] = "node-password",
            ["Dupa__PeerHeartbeatSeconds"] = "1",
        };
        var process = Process.Start(DupaProcess.StartInfo(peerPort is { } p ? [.. args, "--peer-listen", $"127.0.0.1:{p}"] : args, environment))!;
        string? fingerprint = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // A node that does not come up is killed, never left running after the test.
        using var killUnlessStarted = new RunningNode(process, "");
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            // The admin exists before the node listens, so the certificate line (after the addresses) means ready.
            if (line.Contains("fingerprint ", StringComparison.Ordinal))
            {
                fingerprint = line[(line.LastIndexOf(' ') + 1)..];
                break;
            }
        }
        Assert.NotNull(fingerprint);
        // Keep reading the node's output so it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        killUnlessStarted.Release();
        return new RunningNode(process, fingerprint);
    }
}
