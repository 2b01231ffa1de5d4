using System.Security.Cryptography;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

/// <summary>
/// Vaults written by earlier builds open, read and verify unchanged. Fixtures/vault-2026-11-26 was written by
/// 9b6ce28 (`dupa init --kdf-memory 8`, then a put of 12 files), whose payloads hold chunk IDs as base64 strings
/// with '+' escaped as \u002B: the build that first read IDs as bytes refused them.
/// </summary>
public sealed class OlderVaultTests
{
    private const string Passphrase = "fixture passphrase";

    private static readonly Dictionary<string, string> Sha256 = new()
    {
        ["/fx-src/readme.txt"] = "543a6b894a51f028d8cc29f9ec2cd08c8085a6f6f69b4b72fed6fc0285933a41",
        ["/fx-src/empty"] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ["/fx-src/docs/file-0.bin"] = "18ccf71351dbaa0c596714052cbe974f84cf397d77237c5b34ffef71148c9b79",
        ["/fx-src/docs/file-1.bin"] = "b7032bcfadfe752a6964664605da50ab3e3a84849e5ef885e0d8d540619dd99e",
        ["/fx-src/docs/file-2.bin"] = "be0aac1e2fe96e09c530fb819577cac2a07fb479f10f1d43d28ca3f339cf3936",
        ["/fx-src/docs/file-3.bin"] = "447cbb3256906825dd73d21a187c8b25fc28ac3e0e7c237cfdf414e2d503c697",
        ["/fx-src/docs/file-4.bin"] = "0075bab30d9b8da8ff07b72099c9fa17b3129202283a02684ada7080139815ed",
        ["/fx-src/docs/file-5.bin"] = "c3dc88267c7f10b11ef9bced19b76f57befdfea32403de7795494f522f2148e7",
        ["/fx-src/docs/file-6.bin"] = "a75d4a0d16f01ac74b9399c0719af951864d86e17e77723c67b7e86930e773bc",
        ["/fx-src/docs/file-7.bin"] = "c76bf99a7ed630b9cb4bb80c093343958b5e09d87052ce7192971aaf8b439f46",
        ["/fx-src/docs/file-8.bin"] = "164992ad323f8df0b4d21bb7cd076da41ae364073b35867e7f128b3bd1aa23a3",
        ["/fx-src/docs/file-9.bin"] = "613e9f1a0b8c614a56729ff5bd7c9f4f625c446131462197d6038ccde41467c0",
    };

    [Fact]
    public void AVaultWrittenBefore_ChunkIdsWereHeldAsBytes_OpensReadsAndVerifies()
    {
        using var copy = new TempDirectory();
        DirectoryCopy.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "vault-2026-11-26"), copy.Path);

        using var vault = Vault.Open(copy.Path, VaultSecret.Passphrase(Passphrase), new VaultOpenOptions { Writable = true });

        var files = vault.State.Nodes.Where(n => n.Type == NodeType.File).ToDictionary(n => n.Path, n => n.Current);
        Assert.Equal(Sha256.Keys.Order(StringComparer.Ordinal), files.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, hash) in Sha256)
        {
            using var stream = vault.OpenRead(files[path]);
            Assert.True(hash == Convert.ToHexStringLower(SHA256.HashData(stream)), path);
        }
        Assert.Equal(MediaType.Text, files["/fx-src/readme.txt"].Mime);
        var report = new Verifier(vault).Run(quick: false);
        Assert.True(report.IsClean, string.Join("; ", report.Problems.Select(p => p.ToString())));
    }
}
