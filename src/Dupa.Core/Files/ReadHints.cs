using System.Collections.Concurrent;
using Dupa.Core.Native;

namespace Dupa.Core.Files;

/// <summary>
/// Asks the kernel, on a thread of its own, to start reading files a put will read soon (POSIX_FADV_WILLNEED on each
/// file's first <see cref="Length"/> bytes), so that the disk reads many small files at once while the readers work.
/// A reader blocks a thread pool thread in read(2), and on two cores the pool has few: with a cold page cache the
/// readers of a tree of small files waited on the disk one file per thread, and both cores were a third idle.
/// </summary>
internal sealed class ReadHints : IDisposable
{
    /// <summary>How much of each file to ask for: all of a small file, the start of a large one (whose reads the kernel follows ahead).</summary>
    private const long Length = 1024 * 1024;

    private readonly BlockingCollection<Func<string?>> _files = [];
    private readonly Thread _thread;
    private volatile bool _stopping;

    /// <summary>Set once <see cref="Dispose"/> has begun (for tests).</summary>
    internal bool IsStopping => _stopping;

    public ReadHints()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "dupa read hints" };
        _thread.Start();
    }

    /// <summary>
    /// Queues a file. <paramref name="pathIfStillAhead"/> is called when its turn comes and returns null where the
    /// file's reading has started meanwhile (a hint then is only a wasted system call).
    /// </summary>
    public void Add(Func<string?> pathIfStillAhead) => _files.Add(pathIfStillAhead);

    private void Run()
    {
        foreach (var next in _files.GetConsumingEnumerable())
        {
            try
            {
                if (!_stopping && next() is { } path)
                {
                    Posix.WillNeed(path, Length);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Only a hint: the put reads the file either way.
            }
        }
    }

    /// <summary>Stops at once: files still queued get no hint (a put that failed or was cancelled reads none of them).</summary>
    public void Dispose()
    {
        _stopping = true;
        _files.CompleteAdding();
        _thread.Join();
        _files.Dispose();
    }
}
