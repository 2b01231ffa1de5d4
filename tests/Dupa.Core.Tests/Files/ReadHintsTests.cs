using System.Diagnostics;
using Dupa.Core.Files;
using Dupa.Core.Native;

namespace Dupa.Core.Tests.Files;

public sealed class ReadHintsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dupa-hints-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task WillNeed_OfAFifo_DoesNotWaitForAWriter()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fifo = Path.Combine(_root, "fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // A blocking open of a FIFO waits for a writer for ever: the hint must not.
        var hint = Task.Run(() => Posix.WillNeed(fifo, 1024 * 1024));

        await hint.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Hints_ForFilesMissingOrAlreadyBeingRead_AreSkippedAndTheThreadStops()
    {
        var present = Path.Combine(_root, "present");
        File.WriteAllBytes(present, new byte[4096]);
        var asked = new List<string>();

        using (var hints = new ReadHints())
        {
            hints.Add(() => { lock (asked) { asked.Add("missing"); } return Path.Combine(_root, "missing"); });
            hints.Add(() => { lock (asked) { asked.Add("started"); } return null; });
            hints.Add(() => { lock (asked) { asked.Add("present"); } return present; });
        }

        // Dispose waited for every queued hint, in order.
        Assert.Equal(["missing", "started", "present"], asked);
    }
}
