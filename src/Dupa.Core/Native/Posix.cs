using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Native;

/// <summary>
/// The few libc calls .NET does not expose: fsync of a directory (so a rename is durable), syncfs (one flush at
/// the end of a restore), statx (for the inode and nanosecond mtime that change detection needs), and the calls a
/// restore makes per file (create, set the mtime, rename unless the name is taken) in fewer system calls than
/// .NET's (which lock the file with flock, stat before setting a time and lstat both names before a rename).
/// statx's layout is the same on every Linux architecture, unlike struct stat, so one binding serves x86-64 and
/// the Raspberry Pi's arm64 alike; so are the open flags used here.
/// </summary>
internal static partial class Posix
{
    private const string Libc = "libc";
    private const int ORdOnly = 0;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const int FAdvSequential = 2;
    private const uint StatxBasicStats = 0x7ff;
    private const int OWrOnlyCreateExclusive = 0x1 | 0x40 | 0x80 | 0x80000; // O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
    private const int ORdOnlyNonBlocking = 0x100 | 0x800 | 0x80000; // O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC
    private const uint RenameNoReplace = 1;
    private const int ENoEnt = 2, EExist = 17, EInval = 22, ENoSys = 38;
    private const long UtimeOmit = (1L << 30) - 2;
    private const int FAdvWillNeed = 3;

    [LibraryImport(Libc, EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>Hands the C library's free memory back to the kernel (glibc's malloc_trim; missing elsewhere, which throws).</summary>
    public static void TrimHeap() => _ = MallocTrim(0);

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Libc, EntryPoint = "futimens", SetLastError = true)]
    private static partial int FuTimeNs(SafeFileHandle fd, ReadOnlySpan<Timespec> times);

    [LibraryImport(Libc, EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport(Libc, EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(SafeFileHandle fd);

    [LibraryImport(Libc, EntryPoint = "posix_fadvise")]
    private static partial int FAdvise(SafeFileHandle fd, long offset, long length, int advice);

    [LibraryImport(Libc, EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref StatxBuffer buffer);

    /// <summary>
    /// Asks the kernel to start reading a file (or <paramref name="length"/> bytes of it from <paramref name="offset"/>;
    /// 0 for all) into the page cache now (POSIX_FADV_WILLNEED), without waiting: so that a reader finds what it
    /// reads next already read. Only a hint; failures are ignored.
    /// </summary>
    public static void WillNeed(SafeFileHandle handle, long offset = 0, long length = 0)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = FAdvise(handle, offset, length, FAdvWillNeed);
        }
    }

    /// <summary>
    /// <see cref="WillNeed(SafeFileHandle, long, long)"/> for the first <paramref name="length"/> bytes of the file at
    /// <paramref name="path"/>, opened only for that (non-blocking, so a file swapped for a FIFO cannot hang it).
    /// Only a hint: a file that cannot be opened is left alone.
    /// </summary>
    public static void WillNeed(string path, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = Open(path, ORdOnlyNonBlocking);
        if (fd >= 0)
        {
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            WillNeed(handle, 0, length);
        }
    }

    /// <summary>
    /// Opens a file that was listed as a regular file, to read it from start to end: without waiting (O_NONBLOCK, so a
    /// path swapped for a FIFO since it was listed cannot hang the open; a regular file's reads ignore the flag),
    /// without .NET's advisory lock and extra fstat, and with the kernel told it is read in order. An IOException
    /// says why it cannot be read, including that the path is no longer a regular file. Linux only.
    /// </summary>
    public static SafeFileHandle OpenToReadInOrder(string path)
    {
        var fd = Open(path, ORdOnlyNonBlocking);
        if (fd < 0)
        {
            throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = default(StatxBuffer);
        if (Statx(fd, "", AtEmptyPath, StatxBasicStats, ref buffer) != 0 || (buffer.Mode & FileStat.TypeMask) != FileStat.RegularFile)
        {
            handle.Dispose();
            throw new IOException("it is no longer a regular file");
        }
        _ = FAdvise(handle, 0, 0, FAdvSequential);
        return handle;
    }

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
    /// Opens <paramref name="directory"/> for <see cref="SyncFileSystem"/>; null where there is no syncfs (not Linux).
    /// The kernel reports a writeback error to each open file once, from the moment it was opened: a handle opened
    /// before the files are written sees every error in writing them back, where one opened at the end would miss
    /// those that happened before it.
    /// </summary>
    public static SafeFileHandle? OpenToSync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var fd = Open(directory, ORdOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open '{directory}' to sync it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// syncfs(2) on the file system holding <paramref name="directory"/>, through a handle from <see cref="OpenToSync"/>:
    /// every file written there is on disk when it returns. False where there is no syncfs; an I/O error while writing
    /// back is an IOException.
    /// </summary>
    public static bool SyncFileSystem(SafeFileHandle handle, string directory)
    {
        try
        {
            if (SyncFs(handle) != 0)
            {
                throw new IOException($"cannot sync the file system of '{directory}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/>, which must not exist, for writing (mode 0666 less the umask, as .NET
    /// creates files), without the advisory lock .NET's <c>File.OpenHandle</c> takes. Linux only.
    /// </summary>
    public static SafeFileHandle CreateNew(string path)
    {
        var fd = Open(path, OWrOnlyCreateExclusive, 0x1B6);
        if (fd < 0)
        {
            throw LastError($"cannot create '{path}'");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Sets a file's mtime to the nanosecond and leaves its atime as it is. Linux only.</summary>
    public static void SetModifiedTime(SafeFileHandle file, long unixNs)
    {
        var seconds = unixNs / 1_000_000_000L;
        var nanoseconds = unixNs % 1_000_000_000L;
        if (nanoseconds < 0)
        {
            seconds--;
            nanoseconds += 1_000_000_000L;
        }
        ReadOnlySpan<Timespec> times = [new Timespec(0, (nint)UtimeOmit), new Timespec((nint)seconds, (nint)nanoseconds)];
        if (FuTimeNs(file, times) != 0)
        {
            throw LastError("cannot set a restored file's time");
        }
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> unless something is already there: false if the
    /// name is taken or the file system cannot rename without replacing, and nothing was renamed. Linux only.
    /// </summary>
    public static bool TryRenameNoReplace(string from, string to)
    {
        if (RenameAt2(AtFdCwd, from, AtFdCwd, to, RenameNoReplace) == 0)
        {
            return true;
        }
        // EEXIST: the name is taken. EINVAL or ENOSYS: no RENAME_NOREPLACE here. Either way the caller replaces.
        if (Marshal.GetLastPInvokeError() is EExist or EInval or ENoSys)
        {
            return false;
        }
        throw LastError($"cannot rename '{from}' to '{to}'");
    }

    private static IOException LastError(string what) => new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    /// <summary>
    /// A path's type, permissions, size, inode and mtime, in one system call, of a final symlink itself unless
    /// <paramref name="followSymlink"/>; null where statx is missing (not Linux) or the path cannot be stat'ed (gone, or
    /// no permission).
    /// </summary>
    public static FileStat? Stat(string path, bool followSymlink = false)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var buffer = default(StatxBuffer);
        return StatPath(path, followSymlink, ref buffer) == 0
            ? new FileStat(buffer.Ino, (buffer.MtimeSec * 1_000_000_000L) + buffer.MtimeNsec, buffer.Mode, buffer.Size)
            : null;
    }

    /// <summary>
    /// Whether nothing is at <paramref name="path"/>, not even a dangling symlink: true only when the kernel says so
    /// (ENOENT). False where it cannot tell (no statx, no permission) and where it is not Linux.
    /// </summary>
    public static bool IsMissing(string path)
    {
        var buffer = default(StatxBuffer);
        return OperatingSystem.IsLinux() && StatPath(path, followSymlink: false, ref buffer) == ENoEnt;
    }

    /// <summary>statx(2) of a path: 0, or the error number (ENOSYS where the C library has no statx). Linux only.</summary>
    private static int StatPath(string path, bool followSymlink, ref StatxBuffer buffer)
    {
        try
        {
            return Statx(AtFdCwd, path, followSymlink ? 0 : AtSymlinkNoFollow, StatxBasicStats, ref buffer) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        catch (EntryPointNotFoundException)
        {
            return ENoSys;
        }
    }

    // struct timespec: two C longs, which nint matches on 64- and 32-bit Linux.
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(nint Seconds, nint Nanoseconds);

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
    public const int TypeMask = 0xF000;
    public const int RegularFile = 0x8000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegularFile => (Mode & TypeMask) == RegularFile;

    public bool IsSymlink => (Mode & TypeMask) == 0xA000;

    /// <summary>The permission bits, set-ID and sticky bits (07777), as <see cref="File.GetUnixFileMode(string)"/> gives them.</summary>
    public int Permissions => Mode & 0xFFF;
}
