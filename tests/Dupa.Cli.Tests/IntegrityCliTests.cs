using Dupa.Cli.Tests.Support;
using Dupa.Testing;

namespace Dupa.Cli.Tests;

public sealed class IntegrityCliTests
{
    [Fact]
    public void DamagedPack_VerifyExit5NamingThePack_GetExit5WithNoWrongBytes()
    {
        using var vault = new CliVault();
        var content = new SeededRandom(77).NextBytes(50_000);
        Assert.Equal(0, vault.Run("put", vault.WriteFile("photo.jpg", content)).ExitCode);
        var pack = Directory.EnumerateFiles(Path.Combine(vault.VaultDirectory, "packs"), "*.pack", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(pack, bytes);

        var verify = vault.Run("verify");
        Assert.Equal(5, verify.ExitCode);
        Assert.Contains($"pack {Path.GetFileNameWithoutExtension(pack)[..12]}", verify.Stdout, StringComparison.Ordinal);

        var get = vault.Run("get", "/photo.jpg");
        Assert.Equal(5, get.ExitCode);
        Assert.StartsWith("dupa: chunk ", get.Stderr, StringComparison.Ordinal);
        // Output stops at the damaged chunk: whatever came before it is the file's true beginning.
        Assert.True(content.AsSpan().StartsWith(get.StdoutBytes), "get wrote bytes that are not the file's");

        var restore = vault.Run("get", "/photo.jpg", "--to", Path.Combine(vault.Work, "out"));
        Assert.Equal(5, restore.ExitCode);
        Assert.False(File.Exists(Path.Combine(vault.Work, "out", "photo.jpg")), "a damaged file must not be left half-written");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(vault.Work, "out")));
    }

    [Fact]
    public void VerifyJson_OnACleanVault_SaysClean()
    {
        using var vault = new CliVault();
        Assert.Equal(0, vault.Run("put", vault.WriteFile("a.txt", "a"u8.ToArray())).ExitCode);
        var run = vault.Run("verify", "--json");
        Assert.Equal(0, run.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("clean").GetBoolean());
    }
}
