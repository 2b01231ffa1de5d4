using System.Diagnostics;
using Dupa.Core.Files;
using Dupa.Core.Tests.Support;

namespace Dupa.Core.Tests.Files;

/// <summary>Sources that change between the walk that lists them and the read: each is an error of its own, never a hang.</summary>
public sealed class PutSourceChangesTests
{
    [Fact]
    public async Task A_FileSwappedForAFifoOrADirectoryOrRemovedAfterTheWalk_IsAnError_AndTheRestIsPut()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        using var vault = new TestVault();
        vault.WriteSource("tree/kept.txt", "kept"u8.ToArray());
        var fifo = vault.WriteSource("tree/fifo", "a file that becomes a FIFO"u8.ToArray());
        var directory = vault.WriteSource("tree/dir", "a file that becomes a directory"u8.ToArray());
        var removed = vault.WriteSource("tree/removed", "a file that goes away"u8.ToArray());
        var walk = SourceWalk.Start([Path.Combine(vault.Source, "tree")], "/", new PathFilter([]));
        await walk.FoundAsync();

        File.Delete(fifo);
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        File.Delete(directory);
        Directory.CreateDirectory(directory);
        File.Delete(removed);
        PutResult result;
        using (var opened = vault.Open(writable: true))
        {
            // Opening a FIFO to read waits for a writer for ever: the put must not.
            result = await new FileImporter(opened).ImportAsync(walk).WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(1, result.FilesAdded);
        Assert.Equal(3, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.StartsWith(fifo + ": ", StringComparison.Ordinal) && e.Contains("no longer a regular file", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith(directory + ": ", StringComparison.Ordinal) && e.Contains("no longer a regular file", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith(removed + ": ", StringComparison.Ordinal));
        Assert.Equal("kept"u8.ToArray(), vault.ReadFile("/tree/kept.txt"));
    }
}
