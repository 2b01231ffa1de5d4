using Dupa.Core.Native;

namespace Dupa.Core.Files;

/// <summary>
/// The local files a put reads, local or to a node: which paths are regular files (a FIFO, socket or device is
/// skipped, as the walk skips it), and opening one so that nothing that happened to the path since it was listed can
/// hang the read. A blocking open of a FIFO waits for a writer for ever.
/// </summary>
public static class SourceFiles
{
    /// <summary>
    /// Whether <paramref name="path"/> is a regular file, a final symlink followed. Where the file's type cannot be
    /// read (not Linux), whether it exists as a file.
    /// </summary>
    public static bool IsRegularFile(string path) =>
        OperatingSystem.IsLinux() ? Posix.Stat(path, followSymlink: true) is { IsRegularFile: true } : File.Exists(path);

    /// <summary>The warning of a put that skips <paramref name="path"/>, which is not a regular file, directory or symlink.</summary>
    public static string Skipped(string path) => $"{path}: skipped (not a regular file, directory or symlink)";

    /// <summary>
    /// Opens a listed file to read from start to end. On Linux without waiting, and only if it is still a regular file:
    /// otherwise an IOException whose message says why (see <see cref="Posix.OpenToReadInOrder"/>).
    /// </summary>
    public static FileStream OpenRead(string path, int bufferSize = 0) =>
        OperatingSystem.IsLinux()
            ? new FileStream(Posix.OpenToReadInOrder(path), FileAccess.Read, bufferSize)
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize, FileOptions.SequentialScan);
}
