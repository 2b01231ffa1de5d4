using Dupa.Cli.Tests.Support;
using Dupa.Testing;

namespace Dupa.Cli.Tests;

public sealed class ExitCodeTests
{
    [Fact]
    public void WrongPassphrase_OneLineMessageExit4_VaultUnchanged()
    {
        using var vault = new CliVault();
        var before = vault.Snapshot();
        var env = vault.Environment;
        env["DUPA_PASSPHRASE"] = "wrong";
        var run = vault.RunWith(env, "put", vault.WriteFile("a.txt", [1]));
        Assert.Equal(4, run.ExitCode);
        AssertOneLine(run, "wrong passphrase");
        Assert.Equal(before, vault.Snapshot());
    }

    [Fact]
    public void MissingVaultDirectory_Exit6()
    {
        using var vault = new CliVault(init: false);
        var run = vault.Run("ls");
        Assert.Equal(6, run.ExitCode);
        AssertOneLine(run, "no vault");
    }

    [Fact]
    public void CorruptHeader_Exit5NamingTheHeader_VaultUnchanged()
    {
        using var vault = new CliVault();
        var header = Path.Combine(vault.VaultDirectory, "vault.hdr");
        var bytes = File.ReadAllBytes(header);
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(header, bytes);
        var before = vault.Snapshot();
        var run = vault.Run("put", vault.WriteFile("a.txt", [1]));
        Assert.Equal(5, run.ExitCode);
        AssertOneLine(run, "vault header");
        Assert.Equal(before, vault.Snapshot());
    }

    [Fact]
    public void TruncatedHeader_Exit5()
    {
        using var vault = new CliVault();
        var header = Path.Combine(vault.VaultDirectory, "vault.hdr");
        File.WriteAllBytes(header, File.ReadAllBytes(header)[..20]);
        var run = vault.Run("ls");
        Assert.Equal(5, run.ExitCode);
        AssertOneLine(run, "vault header");
    }

    [Fact]
    public void NewerFormatVersion_Exit8()
    {
        using var vault = new CliVault();
        var header = Path.Combine(vault.VaultDirectory, "vault.hdr");
        var bytes = File.ReadAllBytes(header);
        bytes[8] = 9;
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32), bytes.AsSpan(bytes.Length - 32));
        File.WriteAllBytes(header, bytes);
        var run = vault.Run("ls");
        Assert.Equal(8, run.ExitCode);
        AssertOneLine(run, "newer");
    }

    [Fact]
    public void UnreadableSource_Exit3_NothingAdded()
    {
        using var vault = new CliVault();
        var before = vault.Snapshot();
        // As root every permission check passes, so use a file the kernel refuses to read instead.
        var unreadable = Environment.UserName == "root" ? "/proc/self/mem" : vault.WriteFile("secret.txt", [1, 2, 3]);
        if (unreadable != "/proc/self/mem")
        {
            File.SetUnixFileMode(unreadable, UnixFileMode.None);
        }
        var run = vault.Run("put", unreadable);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("dupa: error:", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, vault.Snapshot());
        Assert.Equal("", vault.Run("ls").Stdout);
    }

    [Fact]
    public void MissingSource_Exit6_NothingAdded()
    {
        using var vault = new CliVault();
        var before = vault.Snapshot();
        var run = vault.Run("put", Path.Combine(vault.Work, "does-not-exist"));
        Assert.Equal(6, run.ExitCode);
        AssertOneLine(run, "no such file");
        Assert.Equal(before, vault.Snapshot());
    }

    [Theory]
    [InlineData("/a/../etc/passwd")]
    [InlineData("/a/./b")]
    [InlineData("/a\u0001b")]
    public void BadVaultPath_Exit2(string path)
    {
        using var vault = new CliVault();
        var run = vault.Run("put", vault.WriteFile("a.txt", [1]), "--to", path);
        Assert.Equal(2, run.ExitCode);
        AssertOneLine(run, "invalid vault path");
    }

    [Theory]
    [InlineData("nonsense", "is not HOST:PORT")]
    [InlineData("host:", "is not HOST:PORT")]
    [InlineData("127.0.0.1:99999", "is not HOST:PORT")]
    [InlineData("[::1", "is not HOST:PORT")]
    public void RecoverFromAMalformedAddress_Exit2_AndWritesNothing(string address, string message)
    {
        using var vault = new CliVault();
        var target = vault.WriteFile("target-parent/.keep", []);
        var into = Path.Combine(Path.GetDirectoryName(target)!, "recovered");
        var run = vault.Run("recover", "--from", address, "--peer-id", "AAAQEAY-EAUDAOB-CAJBIFQ-YDIOB4B-IBCEQTC-QKRMFYX-YDENBWH-A5DYPQG", "--vault", into);
        Assert.Equal(2, run.ExitCode);
        AssertOneLine(run, message);
        Assert.False(Directory.Exists(into));
    }

    [Fact]
    public void OverlongName_Exit2()
    {
        using var vault = new CliVault();
        var run = vault.Run("get", "/" + new string('x', 300));
        Assert.Equal(2, run.ExitCode);
        AssertOneLine(run, "longer than 255");
    }

    [Fact]
    public void GetOfMissingPath_Exit6()
    {
        using var vault = new CliVault();
        var run = vault.Run("get", "/nothing/here");
        Assert.Equal(6, run.ExitCode);
        AssertOneLine(run, "not in the vault");
    }

    [Fact]
    public void UnknownOption_Exit2WithUsageHint()
    {
        using var vault = new CliVault(init: false);
        var run = vault.Run("stats", "--no-such-option");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--help", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void FullDisk_Exit9WithAClearMessage_VaultStillVerifies()
    {
        using var disk = new SmallDisk(megabytes: 4);
        using var vault = new CliVault(vaultDirectory: Path.Combine(disk.Path, "vault"));
        var small = vault.WriteFile("small.txt", "kept"u8.ToArray());
        Assert.Equal(0, vault.Run("put", small).ExitCode);
        var before = vault.Snapshot();
        var big = vault.WriteFile("big.bin", new SeededRandom(9).NextBytes(12 * 1024 * 1024));

        var run = vault.Run("put", big);

        Assert.Equal(9, run.ExitCode);
        AssertOneLine(run, "disk is full");
        Assert.Equal(before, vault.Snapshot());
        Assert.Equal(0, vault.Run("verify").ExitCode);
        Assert.Equal("kept", vault.Run("get", "/small.txt").Stdout);
    }

    [Fact]
    public void EveryCommand_HasHelpWithAnExample()
    {
        string[][] commands = [["init"], ["put"], ["get"], ["ls"], ["history"], ["rm"], ["trash"], ["trash", "ls"], ["trash", "restore"], ["trash", "empty"], ["verify"], ["stats"], ["passwd"], ["recover"], ["index", "rebuild"], ["serve"]];
        foreach (var command in commands)
        {
            var run = DupaProcess.Run([.. command, "--help"]);
            Assert.True(run.ExitCode == 0, string.Join(' ', command) + ": " + run);
            Assert.Contains("Example:", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("--json", run.Stdout, StringComparison.Ordinal);
        }
    }

    private static void AssertOneLine(DupaRun run, string expected)
    {
        var lines = run.Stderr.Trim().Split('\n');
        Assert.True(lines.Length == 1, "expected one line on stderr: " + run);
        Assert.StartsWith("dupa: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }
}
