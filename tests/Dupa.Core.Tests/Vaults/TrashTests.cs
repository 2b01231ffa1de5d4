using Dupa.Core.Errors;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Vaults;

public sealed class TrashTests
{
    [Fact]
    public void Remove_ThenRestore_BringsTheFileBackBitIdentical()
    {
        using var vault = new TestVault();
        var content = new SeededRandom(8).NextBytes(77_777);
        vault.Put(vault.WriteSource("docs/report.pdf", content), "/docs");
        using (var opened = vault.Open(writable: true))
        {
            TrashCommands.Remove(opened, "/docs/report.pdf");
            Assert.Null(opened.State.Get("/docs/report.pdf"));
            var item = Assert.Single(opened.State.Trash);
            Assert.Equal("/docs/report.pdf", item.Path);
            TrashCommands.Restore(opened, TrashCommands.Find(opened, "/docs/report.pdf"));
            Assert.Empty(opened.State.Trash);
        }
        Assert.Equal(content, vault.ReadFile("/docs/report.pdf"));
    }

    [Fact]
    public void Remove_Directory_TrashesTheWholeSubtreeAsOneItem()
    {
        using var vault = new TestVault();
        vault.WriteSource("Photos/a.jpg", [1]);
        vault.WriteSource("Photos/2024/b.jpg", [2]);
        vault.Put(Path.Combine(vault.Source, "Photos"));
        using var opened = vault.Open(writable: true);
        TrashCommands.Remove(opened, "/Photos");

        Assert.Empty(opened.State.Nodes);
        var item = Assert.Single(opened.State.Trash);
        Assert.Equal(4, item.Nodes.Count);
        TrashCommands.Restore(opened, item, "/Restored");
        Assert.NotNull(opened.State.Get("/Restored/2024/b.jpg"));
    }

    [Fact]
    public void Restore_WhereTheNameIsTakenAgain_KeepsBothHistoriesApart()
    {
        using var vault = new TestVault();
        var path = vault.WriteSource("n.txt", "old"u8.ToArray());
        vault.Put(path);
        using (var opened = vault.Open(writable: true))
        {
            TrashCommands.Remove(opened, "/n.txt");
        }
        File.WriteAllBytes(path, "new one"u8.ToArray());
        vault.Put(path);
        using (var opened = vault.Open(writable: true))
        {
            Assert.Single(opened.State.Get("/n.txt")!.Versions);
            TrashCommands.Restore(opened, TrashCommands.Find(opened, "/n.txt"));
        }
        Assert.Equal("new one"u8.ToArray(), vault.ReadFile("/n.txt"));
        Assert.Equal("old"u8.ToArray(), vault.ReadFile("/n (restored 1).txt"));
    }

    [Fact]
    public void Purge_RemovesTheItemForGood()
    {
        using var vault = new TestVault();
        vault.Put(vault.WriteSource("x.bin", [1, 2, 3]));
        using var opened = vault.Open(writable: true);
        var id = TrashCommands.Remove(opened, "/x.bin");
        TrashCommands.Purge(opened, [.. opened.State.Trash]);
        Assert.Empty(opened.State.Trash);
        var e = Assert.Throws<DupaException>(() => TrashCommands.Find(opened, id.ToString()));
        Assert.Equal(ErrorCode.NotFound, e.Code);
    }

    [Fact]
    public void Remove_PathNotInVault_IsNotFound()
    {
        using var vault = new TestVault();
        using var opened = vault.Open(writable: true);
        Assert.Equal(ErrorCode.NotFound, Assert.Throws<DupaException>(() => TrashCommands.Remove(opened, "/missing")).Code);
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<DupaException>(() => TrashCommands.Remove(opened, "/")).Code);
    }

    [Fact]
    public void RestoreOrMove_OntoTheRoot_IsRefusedAndChangesNothing()
    {
        using var vault = new TestVault();
        vault.WriteSource("d/a.txt", [1]);
        vault.Put(Path.Combine(vault.Source, "d"));
        using var opened = vault.Open(writable: true);
        TrashCommands.Remove(opened, "/d");
        var entries = opened.Entries.Count;
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<DupaException>(() => TrashCommands.Restore(opened, opened.State.Trash.Single(), "/")).Code);
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<DupaException>(() => Core.Vaults.FileCommands.Move(opened, "/", "/x")).Code);
        Assert.Equal(entries, opened.Entries.Count);
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<DupaException>(() => Core.Files.VaultPath.Parse("/a\udc00")).Code);
    }
}
