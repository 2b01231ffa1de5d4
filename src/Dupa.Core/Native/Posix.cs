using System.Runtime.InteropServices;

namespace Dupa.Core.Native;

/// <summary>
/// The few libc calls .NET does not expose: fsync of a directory (so a rename is durable), syncfs (one flush at
/// the end of a restore) and statx (for the inode and nanosecond mtime that change detection needs). statx's
/// layout is the same on every Linux architecture, unlike struct stat, so one binding serves x86-64 and the
/// Raspberry Pi's arm64 alike.
/// </summary>
internal static partial class Posix
{
    private const string Libc = "libc";
    private const int ORdOnly = 0;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport(Libc, EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport(Libc, EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref StatxBuffer buffer);

    /// <summary>fsync a directory; errors are ignored where the file system cannot sync directories.</summary>
    public static void SyncDirectory(string directory)
    {
        // O_DIRECTORY differs between architectures; O_RDONLY alone opens a directory everywhere.
        var fd = Open(directory, ORdOnly);
        if (fd < 0)
        {
            return;
        }
        try
        {
            _ = FSync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// syncfs(2) on the file system holding <paramref name="directory"/>: every file written there is on disk when
    /// it returns. False where there is no syncfs (not Linux); an I/O error while writing back is an IOException.
    /// </summary>
    public static bool SyncFileSystem(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var fd = Open(directory, ORdOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open '{directory}' to sync it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        try
        {
            if (SyncFs(fd) != 0)
            {
                throw new IOException($"cannot sync the file system of '{directory}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// A path's type, permissions, size, inode and mtime without following a final symlink, in one system call; null
    /// where statx is missing (not Linux) or the path cannot be stat'ed (gone, or no permission).
    /// </summary>
    public static FileStat? Stat(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var buffer = default(StatxBuffer);
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref buffer) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        return new FileStat(buffer.Ino, (buffer.MtimeSec * 1_000_000_000L) + buffer.MtimeNsec, buffer.Mode, buffer.Size);
    }

    // struct statx from <linux/stat.h>: 256 bytes, fixed layout on all architectures.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public long Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
    }
}

/// <summary>What <see cref="Posix.Stat"/> reads: <paramref name="Mode"/> holds the file type and permission bits.</summary>
internal readonly record struct FileStat(ulong Inode, long MtimeNs, int Mode, long Size)
{
    private const int TypeMask = 0xF000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    public bool IsSymlink => (Mode & TypeMask) == 0xA000;

    /// <summary>The permission bits, set-ID and sticky bits (07777), as <see cref="File.GetUnixFileMode(string)"/> gives them.</summary>
    public int Permissions => Mode & 0xFFF;
}
