using System.Text;
using Dupa.Core.Tests.Support;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

public sealed class ConfidentialityTests
{
    private const int Window = 16;

    [Fact]
    public void VaultDirectory_AfterPuttingKnownFiles_HoldsNo16ByteRunOfAnyNamePathOrContent()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(16);
        var contents = new List<byte[]>
        {
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("The quarterly numbers of ACME Corporation are confidential. ", 200))),
            random.NextBytes(40_000),
            Encoding.UTF8.GetBytes("password=hunter2-but-much-longer-than-sixteen-bytes\n"),
        };
        var names = new[] { "family-holiday-photo-2024.jpg", "secret-merger-plan-final-v2.docx", "bank-statement-credentials.txt" };
        for (var i = 0; i < names.Length; i++)
        {
            vault.WriteSource($"Very Private Folder Name/Nested Directory Structure/{names[i]}", contents[i]);
        }
        vault.Put(vault.Source, "/");

        var needles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var content in contents)
        {
            AddWindows(needles, content);
        }
        foreach (var text in names.Concat(["Very Private Folder Name", "Nested Directory Structure", "/source/Very Private Folder Name/Nested Directory Structure"]))
        {
            AddWindows(needles, Encoding.UTF8.GetBytes(text));
            AddWindows(needles, Encoding.Unicode.GetBytes(text));
        }

        foreach (var file in Directory.EnumerateFiles(vault.Directory, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            for (var i = 0; i + Window <= bytes.Length; i++)
            {
                Assert.False(needles.Contains(Key(bytes.AsSpan(i, Window))), $"{Path.GetRelativePath(vault.Directory, file)} holds plaintext at offset {i}");
            }
        }
    }

    private static void AddWindows(HashSet<string> needles, byte[] content)
    {
        for (var i = 0; i + Window <= content.Length; i++)
        {
            needles.Add(Key(content.AsSpan(i, Window)));
        }
    }

    private static string Key(ReadOnlySpan<byte> window) => Convert.ToHexString(window);
}
