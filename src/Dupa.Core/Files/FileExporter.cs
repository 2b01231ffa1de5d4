using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Native;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;
using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Files;

/// <summary>Where a get is.</summary>
public sealed record GetProgress(long BytesDone, long BytesTotal, int FilesDone, int FilesTotal);

/// <summary>What a get wrote.</summary>
public sealed record GetResult(int Files, int Directories, int Symlinks, long Bytes);

/// <summary>
/// <c>dupa get</c>: writes a file or a directory tree from the vault to the local file system. Each file is
/// written to a temporary name beside its target and renamed only once complete and authenticated, so a failure
/// never leaves a half-written file. Modes and mtimes are restored; directory mtimes after their contents.
/// </summary>
/// <remarks>
/// Chunks are read, authenticated and written by one worker per core, each chunk at its offset in its file, so a
/// tree of small files and one large file both keep every core busy. Files are not fsynced one by one: a single
/// syncfs of the destination's file system at the end makes every restored file durable before the get returns
/// (20,070 fsyncs were most of a 47–121 s full-corpus restore whose CPU time was 23–28 s). A file that replaces
/// an existing one is still fsynced before its rename, so a power cut never loses what was there. A power cut
/// during a get may leave new renamed files whose content never reached the disk; the get was not acknowledged,
/// so it is run again. A killed process leaves only whole files and temporary names.
/// On Linux a small file costs open(O_EXCL), a pwrite per chunk, fchmod, futimens, renameat2(RENAME_NOREPLACE)
/// and close (<see cref="Posix"/>); .NET's file API added two flocks, an fstat before the time, an lstat of each
/// name before the rename, and our own lstat to see whether a file was being replaced, which the refused rename
/// now tells. Starting each file's writeback early (sync_file_range) so that the final syncfs had less to do was
/// measured and dropped: it took more CPU (6.1 against 4.4 s) and more wall time on the full corpus.
/// </remarks>
public sealed class FileExporter
{
    private readonly Vault _vault;
    private readonly IProgress<GetProgress>? _progress;
    private readonly Lock _progressGate = new();
    private long _bytesDone, _bytesTotal;
    private int _filesDone, _filesTotal;

    public FileExporter(Vault vault, IProgress<GetProgress>? progress = null)
    {
        _vault = vault;
        _progress = progress;
    }

    /// <summary>How many chunks are read and written at once; one per core.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Writes <paramref name="nodes"/> (a node and its subtree, parents first, as <see cref="VaultState.Subtree"/>
    /// gives them) into <paramref name="destinationDirectory"/>, the top node keeping its name.
    /// <paramref name="version"/>, when given, picks the top node's version (files only).
    /// </summary>
    public async Task<GetResult> ExportAsync(IReadOnlyList<TreeNode> nodes, string destinationDirectory, FileVersion? version = null, CancellationToken cancellationToken = default)
    {
        if (nodes.Count == 0)
        {
            return new GetResult(0, 0, 0, 0);
        }
        // A full path once, rather than the current directory looked up again for every file created and renamed.
        destinationDirectory = Path.GetFullPath(destinationDirectory);
        var top = nodes[0];
        var topParent = VaultPath.Parent(top.Path);
        int directories = 0, symlinks = 0;
        var files = new List<RestoredFile>();
        try
        {
            Directory.CreateDirectory(destinationDirectory);
            var directoryTimes = new List<(string Path, FileVersion Version)>();
            // Directories and symlinks first, in tree order, so every file's directory exists before any worker starts.
            foreach (var node in nodes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = topParent == VaultPath.Root ? node.Path[1..] : node.Path[(topParent.Length + 1)..];
                var localPath = Path.Combine(destinationDirectory, relative.Replace('/', Path.DirectorySeparatorChar));
                var current = node == top && version is not null ? version : node.Current;
                switch (current.Type)
                {
                    case NodeType.Directory:
                        Directory.CreateDirectory(localPath);
                        directoryTimes.Add((localPath, current));
                        directories++;
                        break;
                    case NodeType.Symlink:
                        if (File.Exists(localPath) || new FileInfo(localPath).LinkTarget is not null)
                        {
                            File.Delete(localPath);
                        }
                        File.CreateSymbolicLink(localPath, current.Target ?? "");
                        symlinks++;
                        break;
                    default:
                        files.Add(new RestoredFile(localPath, current));
                        break;
                }
            }
            _bytesTotal = files.Sum(f => f.Version.Size);
            _filesTotal = files.Count;
            var syncAtEnd = OperatingSystem.IsLinux();
            try
            {
                var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(Pieces(files), options, (piece, _) =>
                {
                    WritePiece(piece, fsyncEach: !syncAtEnd);
                    return ValueTask.CompletedTask;
                });
            }
            catch
            {
                // Every worker has stopped: remove what the unfinished files left behind.
                foreach (var file in files)
                {
                    file.Abandon();
                }
                throw;
            }
            if (syncAtEnd && files.Count > 0)
            {
                Posix.SyncFileSystem(destinationDirectory);
            }
            // Writing a directory's contents changes its mtime, and a read-only mode would stop the writing, so
            // directories get both last, deepest first.
            foreach (var (path, dirVersion) in directoryTimes.AsEnumerable().Reverse())
            {
                SetMode(path, dirVersion.Mode);
                Directory.SetLastWriteTimeUtc(path, ToDateTime(dirVersion.MtimeNs));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError("cannot write the restored files", e);
        }
        return new GetResult(files.Count, directories, symlinks, _bytesDone);
    }

    /// <summary>Every chunk of every file, in order; an empty file is one piece with no chunk.</summary>
    private IEnumerable<Piece> Pieces(List<RestoredFile> files)
    {
        foreach (var file in files)
        {
            var chunks = _vault.ResolveChunks(file.Version.Content);
            if (chunks.Sum(c => (long)c.Len) != file.Version.Size)
            {
                throw new IntegrityException($"version {file.Version.Ref.Short}", "the chunk list does not add up to the file size");
            }
            file.Remaining = Math.Max(chunks.Count, 1);
            if (chunks.Count == 0)
            {
                yield return new Piece(file, null, 0);
            }
            long offset = 0;
            foreach (var chunk in chunks)
            {
                yield return new Piece(file, chunk, offset);
                offset += chunk.Len;
            }
        }
    }

    private void WritePiece(Piece piece, bool fsyncEach)
    {
        var file = piece.File;
        var handle = file.Open();
        if (piece.Chunk is { } chunk)
        {
            var id = ChunkId.FromBase64(chunk.Id);
            using var plaintext = _vault.Chunks.Read(id, BlobKind.Data);
            if (plaintext.Length != chunk.Len)
            {
                throw new IntegrityException($"chunk {id.Short}", "its length differs from the chunk list");
            }
            RandomAccess.Write(handle, plaintext.Span, piece.Offset);
            Interlocked.Add(ref _bytesDone, chunk.Len);
        }
        if (Interlocked.Decrement(ref file.Remaining) == 0)
        {
            file.Finish(fsyncEach);
            Interlocked.Increment(ref _filesDone);
        }
        Report();
    }

    private void Report()
    {
        if (_progress is null)
        {
            return;
        }
        lock (_progressGate)
        {
            _progress.Report(new GetProgress(Interlocked.Read(ref _bytesDone), _bytesTotal, Volatile.Read(ref _filesDone), _filesTotal));
        }
    }

    /// <summary>One chunk of a file and where it goes; <see cref="Chunk"/> is null for an empty file.</summary>
    private readonly record struct Piece(RestoredFile File, ChunkRef? Chunk, long Offset);

    /// <summary>A file being restored: opened under a temporary name by its first piece, renamed after its last.</summary>
    private sealed class RestoredFile(string localPath, FileVersion version)
    {
        private readonly Lock _gate = new();
        private SafeFileHandle? _handle;
        private string? _temporary;
        private bool _finished;

        public FileVersion Version => version;

        /// <summary>Pieces not yet written; the worker that writes the last one finishes the file.</summary>
        public int Remaining;

        public SafeFileHandle Open()
        {
            lock (_gate)
            {
                if (_handle is null)
                {
                    _temporary = Path.Combine(Path.GetDirectoryName(localPath)!, $".{Path.GetFileName(localPath)}.dupa-{Guid.NewGuid():N}.tmp");
                    _handle = OperatingSystem.IsLinux()
                        ? Posix.CreateNew(_temporary)
                        : File.OpenHandle(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                }
                return _handle;
            }
        }

        public void Finish(bool fsync)
        {
            var handle = _handle!;
            if (!OperatingSystem.IsWindows() && version.Mode != 0)
            {
                File.SetUnixFileMode(handle, (UnixFileMode)(version.Mode & 0xFFF));
            }
            if (OperatingSystem.IsLinux())
            {
                Posix.SetModifiedTime(handle, version.MtimeNs);
            }
            else
            {
                File.SetLastWriteTimeUtc(handle, ToDateTime(version.MtimeNs));
            }
            // A new name is taken in one rename that refuses to replace, and the file waits for the syncfs. A file
            // that replaces one already there is made durable before the rename: a power cut must never trade the
            // user's existing file for one whose content did not reach the disk.
            var renamed = !fsync && Posix.TryRenameNoReplace(_temporary!, localPath);
            if (!renamed)
            {
                RandomAccess.FlushToDisk(handle);
            }
            handle.Dispose();
            if (!renamed)
            {
                File.Move(_temporary!, localPath, overwrite: true);
            }
            _finished = true;
        }

        /// <summary>After a failure: closes and deletes the temporary file unless the file was finished.</summary>
        public void Abandon()
        {
            if (_handle is null || _finished)
            {
                return;
            }
            _handle.Dispose();
            DurableFile.TryDelete(_temporary!);
        }
    }

    private static void SetMode(string path, int mode)
    {
        if (!OperatingSystem.IsWindows() && mode != 0)
        {
            File.SetUnixFileMode(path, (UnixFileMode)(mode & 0xFFF));
        }
    }

    private static DateTime ToDateTime(long unixNs) => DateTime.UnixEpoch.AddTicks(unixNs / 100);

    /// <summary>Writes one file version to a stream (stdout for <c>dupa get PATH</c> without <c>--to</c>).</summary>
    public async Task<long> CopyToAsync(FileVersion version, Stream destination, CancellationToken cancellationToken = default)
    {
        if (version.Type != NodeType.File)
        {
            throw new DupaException(ErrorCode.InvalidInput, "only a file can be written to standard output; use --to DIR for a directory");
        }
        await using var input = _vault.OpenRead(version);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            total += n;
            _progress?.Report(new GetProgress(total, version.Size, 0, 1));
        }
        await destination.FlushAsync(cancellationToken);
        return total;
    }
}
