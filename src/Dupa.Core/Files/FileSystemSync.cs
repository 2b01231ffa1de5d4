using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Files;

/// <summary>
/// One syncfs for many files written under a directory (a restore), instead of an fsync each. Opened before the first
/// file is written: the kernel reports a writeback error to each open file once, from the moment it was opened, so
/// a handle opened at the end would miss errors in writing back what came before. Where there is no syncfs (not
/// Linux) <see cref="Sync"/> does nothing.
/// </summary>
public sealed class FileSystemSync : IDisposable
{
    private readonly SafeFileHandle? _handle;
    private readonly string _directory;

    private FileSystemSync(SafeFileHandle? handle, string directory) => (_handle, _directory) = (handle, directory);

    /// <summary>Opens <paramref name="directory"/>, which must exist, for a <see cref="Sync"/> once its files are written.</summary>
    public static FileSystemSync Open(string directory) => new(Native.Posix.OpenToSync(directory), directory);

    /// <summary>Every file written on the directory's file system is on disk when this returns; an IOException if writing any back failed.</summary>
    public void Sync()
    {
        if (_handle is not null)
        {
            Native.Posix.SyncFileSystem(_handle, _directory);
        }
    }

    public void Dispose() => _handle?.Dispose();
}
