using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Tests.Support;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

/// <summary>An entry written on the thread pool while the writer adds the next batch's chunks (Vault.BeginAppend).</summary>
public sealed class PendingAppendTests
{
    [Fact]
    public void BeginAppend_ChunksAddedMeanwhile_AreNotPartOfTheVaultUntilAnEntryRefersToThem()
    {
        using var vault = new TestVault();
        var random = new SeededRandom(61);
        var first = random.NextBytes(3000);
        var second = random.NextBytes(3000);
        using (var opened = vault.Open(writable: true))
        {
            var firstId = opened.Codec.ComputeId(first);
            Assert.True(opened.Chunks.Add(firstId, BlobKind.Data, first));
            opened.BeginAppend([Directory("/a")]);
            // The next batch's chunk goes into a new pack, made durable before the first entry is taken in.
            var secondId = opened.Codec.ComputeId(second);
            Assert.True(opened.Chunks.Add(secondId, BlobKind.Data, second));
            opened.Chunks.Flush();
            var refs = opened.EndAppend();

            Assert.Single(refs);
            Assert.NotNull(opened.State.Get("/a"));
            Assert.Equal(2, PackFiles(vault).Count);
            // The put fails now: only the pack the entry refers to stays.
            opened.Chunks.RollBack();
            Assert.True(opened.Chunks.Contains(firstId));
            Assert.False(opened.Chunks.Contains(secondId));
            Assert.Single(PackFiles(vault));
        }
        using var reopened = vault.Open();
        Assert.NotNull(reopened.State.Get("/a"));
        Assert.True(vault.Verify().IsClean);
    }

    [Fact]
    public void EndAppend_CallbackFailed_TakesTheWrittenEntryInThenThrows_AndTheNextAppendFollowsIt()
    {
        using var vault = new TestVault();
        using (var opened = vault.Open(writable: true))
        {
            opened.BeginAppend([Directory("/a")], _ => throw new IOException("the callback failed"));

            var failure = Assert.Throws<IOException>(() => opened.EndAppend());

            Assert.Equal("the callback failed", failure.Message);
            Assert.NotNull(opened.State.Get("/a"));
            // The head moved on: the next entry is chained to the one written, not written over it.
            opened.Append([Directory("/b")]);
        }
        using var reopened = vault.Open();
        Assert.NotNull(reopened.State.Get("/a"));
        Assert.NotNull(reopened.State.Get("/b"));
        Assert.Empty(reopened.LogDamage);
        Assert.True(vault.Verify().IsClean);
    }

    [Fact]
    public void Append_WhileAnEntryIsBeingAppended_IsRefused_AndAllowedOnceItIsEnded()
    {
        using var vault = new TestVault();
        using var opened = vault.Open(writable: true);
        opened.BeginAppend([Directory("/a")]);

        // Both would be written at the head the pending entry is being written at.
        Assert.Throws<InvalidOperationException>(() => opened.Append([Directory("/b")]));
        Assert.Throws<InvalidOperationException>(() => opened.BeginAppend([Directory("/b")]));

        opened.EndAppend();
        opened.Append([Directory("/b")]);
        Assert.NotNull(opened.State.Get("/b"));
    }

    [Fact]
    public void Dispose_WithAnEntryBegunAndNotEnded_WritesItBeforeTheLockIsReleased()
    {
        using var vault = new TestVault();
        using (var opened = vault.Open(writable: true))
        {
            opened.BeginAppend([Directory("/a")]);
        }

        using var reopened = vault.Open();
        Assert.NotNull(reopened.State.Get("/a"));
        Assert.Empty(reopened.LogDamage);
        Assert.True(vault.Verify().IsClean);
    }

    [Fact]
    public void APackNamedThenNotIndexed_IsRemoved_SoAFailedPutLeavesNoPackBehind()
    {
        // The full-disk case: the pack's bytes fit and it got its name, then the index's write failed (SQLite found
        // the disk full). No roll-back knows a pack the index never took; it must not stay on disk.
        using var vault = new TestVault();
        var content = new SeededRandom(62).NextBytes(3000);
        using (var opened = vault.Open(writable: true))
        {
            using (var connection = vault.OpenIndex())
            {
                using var command = connection.CreateCommand();
                command.CommandText = "CREATE TRIGGER full_disk BEFORE INSERT ON packs BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END";
                command.ExecuteNonQuery();
            }
            Assert.True(opened.Chunks.Add(opened.Codec.ComputeId(content), BlobKind.Data, content));

            Assert.ThrowsAny<Exception>(() => opened.Chunks.Flush());
            opened.Chunks.RollBack();

            Assert.Empty(PackFiles(vault));
        }
        Assert.True(vault.Verify().IsClean);
    }

    private static PutOp Directory(string path) => new(path, NodeType.Directory, 0, 1_700_000_000_000_000_000, 0x1ED);

    private static List<string> PackFiles(TestVault vault)
    {
        var packs = Path.Combine(vault.Directory, "packs");
        return [.. System.IO.Directory.EnumerateFiles(packs, "*", SearchOption.AllDirectories).Where(p => !Path.GetRelativePath(packs, p).StartsWith("tmp", StringComparison.Ordinal))];
    }
}
