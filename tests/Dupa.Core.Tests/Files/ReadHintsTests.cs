using System.Diagnostics;
using Dupa.Core.Files;
using Dupa.Core.Native;
using Dupa.Testing;

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
    public async Task Hints_RunInOrder_AndAFileMissingOrAlreadyBeingReadStopsNothing()
    {
        var present = Path.Combine(_root, "present");
        File.WriteAllBytes(present, new byte[4096]);
        var asked = new List<string>();
        string? Ask(string name, string? path)
        {
            lock (asked)
            {
                asked.Add(name);
            }
            return path;
        }

        using (var hints = new ReadHints())
        {
            hints.Add(() => Ask("missing", Path.Combine(_root, "missing")));
            hints.Add(() => Ask("started", null));
            hints.Add(() => throw new InvalidOperationException("a hint that fails"));
            hints.Add(() => Ask("present", present));
            await Waiting.UntilAsync(() =>
            {
                lock (asked)
                {
                    return Task.FromResult(asked.Count == 3);
                }
            });
        }

        Assert.Equal(["missing", "started", "present"], asked);
    }

    [Fact]
    public async Task Dispose_WhileAHintRuns_SkipsTheFilesStillQueued()
    {
        using var running = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var later = 0;
        var hints = new ReadHints();
        hints.Add(() =>
        {
            running.Release();
            release.Wait();
            return null;
        });
        hints.Add(() => { Interlocked.Increment(ref later); return null; });
        await running.WaitAsync();

        var disposing = Task.Run(hints.Dispose);
        await Waiting.UntilAsync(() => Task.FromResult(hints.IsStopping));
        release.Release();
        await disposing;

        Assert.Equal(0, later);
    }
}
