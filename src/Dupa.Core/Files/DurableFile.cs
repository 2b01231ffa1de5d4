using Dupa.Core.Errors;

namespace Dupa.Core.Files;

/// <summary>The write-fsync-rename-fsync sequence that makes a file replacement all-or-nothing.</summary>
public static class DurableFile
{
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw IoError($"cannot write '{path}'", e);
        }
    }

    /// <summary>
    /// A hidden name beside <paramref name="path"/> that no other writer picks, for a file or directory being written
    /// before it is renamed to <paramref name="path"/>: the name with a random suffix, or the suffix alone where that
    /// would pass the file system's limit of 255 bytes (a name near the limit could otherwise never be written).
    /// </summary>
    public static string TemporaryNameBeside(string path)
    {
        var suffix = $".dupa-{Guid.NewGuid():N}.tmp";
        var name = "." + Path.GetFileName(path) + suffix;
        if (System.Text.Encoding.UTF8.GetByteCount(name) > VaultPath.MaxComponentLength)
        {
            name = suffix;
        }
        return Path.Combine(Path.GetDirectoryName(path)!, name);
    }

    /// <summary>fsync a directory so that a rename in it survives a power cut.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        Native.Posix.SyncDirectory(directory);
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Maps an I/O failure to the error family, calling out a full disk plainly.</summary>
    public static DupaException IoError(string what, Exception e)
    {
        const int enospc = 28;
        var full = e is IOException io && ((io.HResult & 0xFFFF) == enospc || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase));
        return new DupaException(ErrorCode.Io, full ? $"{what}: the disk is full" : $"{what}: {e.Message}", e, isTransient: !full);
    }
}
