using Dupa.Core.Errors;
using Dupa.Core.Index;
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
/// <c>dupa get</c>: writes a file or a directory tree from the vault to the local file system. A directory not
/// there yet is written under a temporary name and renamed into place once its files are complete and authenticated
/// (<see cref="Staging"/>); a file added to a directory already there is written to a temporary name beside its target
/// and renamed likewise. So a failure never leaves a half-written file. Modes and mtimes are restored; directory
/// mtimes after their contents.
/// </summary>
/// <remarks>
/// Chunks are read, authenticated and written by one worker per core, each chunk at its offset in its file, so a
/// tree of small files and one large file both keep every core busy; a worker takes a run of pieces in one directory
/// at a time (<see cref="Runs"/>). Files are not fsynced one by one: a single
/// syncfs of the destination's file system at the end makes every restored file durable before the get returns
/// (20,070 fsyncs were most of a 47–121 s full-corpus restore whose CPU time was 23–28 s). A file that replaces
/// an existing one is still fsynced before its rename, so a power cut never loses what was there. A new directory
/// is renamed into place after the syncfs; a power cut during a get may leave files added to a directory already
/// there whose content never reached the disk; the get was not acknowledged, so it is run again. A killed process
/// leaves only whole files and temporary names.
/// On Linux a small file in a new directory costs open(O_EXCL), a pwrite per chunk, fchmod, futimens and close
/// (<see cref="Posix"/>), and one in a directory already there a renameat2(RENAME_NOREPLACE) more; .NET's file
/// API added two flocks, an fstat before the time, an lstat of each name before the rename, and our own lstat to
/// see whether a file was being replaced, which the refused rename
/// now tells. Starting each file's writeback early (sync_file_range) so that the final syncfs had less to do was
/// measured and dropped: it took more CPU (6.1 against 4.4 s) and more wall time on the full corpus. A syncfs of
/// the whole file system on a thread of its own every 128 MiB does that job for one system call each
/// (<see cref="EarlyWriteback"/>). The chunks' locations are looked up at once before the workers start, and a
/// thread asks the kernel for the chunks ahead of them (<see cref="Prefetch"/>). Unnamed files (O_TMPFILE, then
/// linkat) instead of a temporary name and a rename were tried and dropped: no faster, with more system time (ext4
/// keeps each unnamed file on its orphan list until it is linked).
/// </remarks>
public sealed class FileExporter
{
    private readonly Vault _vault;
    private readonly IProgress<GetProgress>? _progress;
    private readonly Lock _progressGate = new();
    /// <summary>How far the prefetch runs ahead of the bytes written: enough to keep the disk's queue full, little enough to stay in memory.</summary>
    private const long PrefetchWindow = 256L << 20;

    /// <summary>The most bytes of a run of pieces one worker writes in a row (see <see cref="Runs"/>): a large file's chunks still spread over every worker.</summary>
    private const long RunBytes = 2L << 20;
    private EarlyWriteback? _writeback;
    private List<ChunkId>? _ids;
    private ChunkLocation?[]? _locations;
    private bool _stopPrefetch;
    private long _bytesDone, _bytesTotal;
    private int _filesDone, _filesTotal;

    public FileExporter(Vault vault, IProgress<GetProgress>? progress = null)
    {
        _vault = vault;
        _progress = progress;
    }

    /// <summary>How many workers read and write chunks at once; one per core.</summary>
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
        var staging = OperatingSystem.IsLinux() ? new Staging() : null;
        SafeFileHandle? syncHandle = null;
        var syncFailed = false;
        try
        {
            Directory.CreateDirectory(destinationDirectory);
            // Opened before any file is written, so that its syncfs reports every writeback error of the restore.
            syncHandle = Posix.OpenToSync(destinationDirectory);
            var directoryTimes = new List<(string Path, FileVersion Version)>();
            var versions = nodes.Select(node => node == top && version is not null ? version : node.Current).ToList();
            // The files' chunks and their places in the store (the index) are looked up while the main thread works
            // out where each node goes and another makes the directories: on two cores the workers start sooner.
            var fileVersions = versions.Where(IsFile).ToList();
            var locating = Task.Run(() => LocateChunks(fileVersions, cancellationToken), cancellationToken);
            // Where each node goes, in tree order; directories and symlinks are made before any worker starts.
            var made = new List<(string LocalPath, FileVersion Version)>();
            try
            {
                for (var i = 0; i < nodes.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var node = nodes[i];
                    var relative = topParent == VaultPath.Root ? node.Path[1..] : node.Path[(topParent.Length + 1)..];
                    var finalPath = Path.Combine(destinationDirectory, relative.Replace('/', Path.DirectorySeparatorChar));
                    var current = versions[i];
                    var localPath = staging?.Place(finalPath, current.Type == NodeType.Directory) ?? finalPath;
                    if (IsFile(current))
                    {
                        // In the order of fileVersions: Pieces pairs each file with its chunk list by position.
                        files.Add(new RestoredFile(localPath, current, staged: !string.Equals(localPath, finalPath, StringComparison.Ordinal)));
                        continue;
                    }
                    made.Add((localPath, current));
                    if (current.Type == NodeType.Directory)
                    {
                        directoryTimes.Add((finalPath, current));
                        directories++;
                    }
                    else
                    {
                        symlinks++;
                    }
                }
            }
            catch
            {
                // The lookup does not outlive a failure here: the caller disposes the vault it reads. Its own failure,
                // if it has one, is observed and dropped: this one is reported.
                await ((Task)locating).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                _ = locating.Exception;
                throw;
            }
            _bytesTotal = files.Sum(f => f.Version.Size);
            _filesTotal = files.Count;
            var syncAtEnd = syncHandle is not null;
            _writeback = syncAtEnd ? new EarlyWriteback(syncHandle!, destinationDirectory) : null;
            try
            {
                var making = Task.Run(() => MakeDirectoriesAndSymlinks(made, cancellationToken), cancellationToken);
                await Task.WhenAll(making, locating);
                var pieces = Pieces(files, await locating);
                var prefetch = Task.Factory.StartNew(() => Prefetch(pieces, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                try
                {
                    var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken };
                    await Parallel.ForEachAsync(Runs(pieces), options, (run, token) =>
                    {
                        foreach (var piece in run)
                        {
                            token.ThrowIfCancellationRequested();
                            WritePiece(piece, fsyncEach: !syncAtEnd);
                        }
                        return ValueTask.CompletedTask;
                    });
                }
                finally
                {
                    Volatile.Write(ref _stopPrefetch, true);
                    await prefetch;
                }
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
            finally
            {
                _writeback?.Wait();
            }
            if (syncAtEnd && files.Count > 0)
            {
                try
                {
                    _writeback!.ThrowIfFailed();
                    Posix.SyncFileSystem(syncHandle!, destinationDirectory);
                }
                catch (IOException)
                {
                    syncFailed = true;
                    throw;
                }
            }
            staging?.MoveIntoPlace();
            // Writing a directory's contents changes its mtime, and a read-only mode would stop the writing, so
            // directories get both last, deepest first.
            foreach (var (path, dirVersion) in directoryTimes.AsEnumerable().Reverse())
            {
                StoredMode.Apply(path, dirVersion.Mode);
                Directory.SetLastWriteTimeUtc(path, ToDateTime(dirVersion.MtimeNs));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError("cannot write the restored files", e);
        }
        finally
        {
            // After a failure too, the files finished are kept, as files outside a new directory are; but not when
            // writing them back failed.
            if (!syncFailed && _writeback?.Failed != true)
            {
                staging?.TryMoveIntoPlace(syncHandle, destinationDirectory);
            }
            syncHandle?.Dispose();
        }
        return new GetResult(files.Count, directories, symlinks, _bytesDone);
    }

    /// <summary>Makes the directories and symlinks of <paramref name="made"/>, parents first.</summary>
    private static void MakeDirectoriesAndSymlinks(List<(string LocalPath, FileVersion Version)> made, CancellationToken cancellationToken)
    {
        foreach (var (localPath, version) in made)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (version.Type == NodeType.Directory)
            {
                Directory.CreateDirectory(localPath);
                continue;
            }
            MakeSymlink(localPath, version.Target ?? "");
        }
    }

    /// <summary>
    /// Makes a symlink as the vault holds it (its target as stored, which may dangle), in place of a file or link of
    /// that name: what every restore, local or remote, does with a symlink.
    /// </summary>
    public static void MakeSymlink(string localPath, string target)
    {
        if (File.Exists(localPath) || new FileInfo(localPath).LinkTarget is not null)
        {
            File.Delete(localPath);
        }
        File.CreateSymbolicLink(localPath, target);
    }

    /// <summary>
    /// The pieces in runs that one worker writes one after the other: consecutive pieces of files in the same
    /// directory, up to <see cref="RunBytes"/> (each piece counted as at least 4 KiB, so that a directory of empty or
    /// tiny files is still shared out). Workers that took the next piece each created and renamed files in the same
    /// directory at once, and one spun on the directory's lock while the other held it (a sixth of a full restore's
    /// CPU time in <c>perf</c>, in <c>rwsem_spin_on_owner</c> under open and renameat2). Runs of one larger directory
    /// may still meet there, less often.
    /// </summary>
    private static IEnumerable<ArraySegment<Piece>> Runs(Piece[] pieces)
    {
        const int leastPieceBytes = 4096;
        var start = 0;
        long bytes = 0;
        for (var i = 0; i < pieces.Length; i++)
        {
            if (i > start && (bytes >= RunBytes || (pieces[i].File != pieces[i - 1].File && !pieces[i].File.InSameDirectoryAs(pieces[i - 1].File))))
            {
                yield return new ArraySegment<Piece>(pieces, start, i - start);
                start = i;
                bytes = 0;
            }
            bytes += Math.Max(pieces[i].Length, leastPieceBytes);
        }
        if (start < pieces.Length)
        {
            yield return new ArraySegment<Piece>(pieces, start, pieces.Length - start);
        }
    }

    private static bool IsFile(FileVersion version) => version.Type is not (NodeType.Directory or NodeType.Symlink);

    /// <summary>
    /// The chunk list of each of <paramref name="versions"/>, checked against its size, and each chunk's place in the
    /// store (looked up all at once), kept for the workers in the order of the lists.
    /// </summary>
    private List<IReadOnlyList<ChunkRef>> LocateChunks(List<FileVersion> versions, CancellationToken cancellationToken)
    {
        var lists = new List<IReadOnlyList<ChunkRef>>(versions.Count);
        var ids = new List<ChunkId>();
        foreach (var version in versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunks = _vault.ResolveChunks(version.Content);
            if (chunks.Sum(c => (long)c.Len) != version.Size)
            {
                throw new IntegrityException($"version {version.Ref.Short}", "the chunk list does not add up to the file size");
            }
            lists.Add(chunks);
            ids.AddRange(chunks.Select(c => c.Id));
        }
        _ids = ids;
        _locations = _vault.Chunks.Locate(ids);
        return lists;
    }

    /// <summary>
    /// Every chunk of every file, in order, each naming its ID and place by its index in <see cref="LocateChunks"/>'s
    /// lists; an empty file is one piece with no chunk.
    /// </summary>
    private static Piece[] Pieces(List<RestoredFile> files, List<IReadOnlyList<ChunkRef>> lists)
    {
        if (files.Count != lists.Count)
        {
            throw new InvalidOperationException($"{files.Count} files to restore, {lists.Count} chunk lists");
        }
        var pieces = new List<Piece>();
        var next = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var (file, chunks) = (files[i], lists[i]);
            file.Remaining = Math.Max(chunks.Count, 1);
            if (chunks.Count == 0)
            {
                pieces.Add(new Piece(file, -1, 0, 0));
            }
            long offset = 0;
            foreach (var chunk in chunks)
            {
                pieces.Add(new Piece(file, next++, offset, chunk.Len));
                offset += chunk.Len;
            }
        }
        return [.. pieces];
    }

    /// <summary>
    /// Asks the kernel for the chunks ahead of the workers, up to <see cref="PrefetchWindow"/> bytes ahead: restored in
    /// tree order, the chunks of small files lie scattered over the packs, and each worker waited on the disk for
    /// every one (half of the workers' time in the first second of a full restore, with the page cache cold).
    /// </summary>
    private void Prefetch(Piece[] pieces, CancellationToken cancellationToken)
    {
        long ahead = 0;
        using var prefetch = _vault.Chunks.Prefetcher();
        foreach (var piece in pieces)
        {
            if (piece.Chunk < 0 || _locations![piece.Chunk] is not { } location)
            {
                continue;
            }
            while (ahead - Interlocked.Read(ref _bytesDone) > PrefetchWindow)
            {
                // The range gathered so far goes out before the wait (a second Flush gives nothing).
                prefetch.Flush();
                if (cancellationToken.IsCancellationRequested || Volatile.Read(ref _stopPrefetch))
                {
                    return;
                }
                Thread.Sleep(1);
            }
            if (Volatile.Read(ref _stopPrefetch))
            {
                return;
            }
            prefetch.Chunk(location);
            ahead += piece.Length;
        }
    }

    private void WritePiece(Piece piece, bool fsyncEach)
    {
        var file = piece.File;
        var handle = file.Open();
        if (piece.Chunk >= 0)
        {
            var id = _ids![piece.Chunk];
            using var plaintext = _locations![piece.Chunk] is { } location
                ? _vault.Chunks.Read(id, location, BlobKind.Data)
                : throw new IntegrityException($"chunk {id.Short}", "missing from the store");
            if (plaintext.Length != piece.Length)
            {
                throw new IntegrityException($"chunk {id.Short}", "its length differs from the chunk list");
            }
            RandomAccess.Write(handle, plaintext.Span, piece.Offset);
            _writeback?.Written(Interlocked.Add(ref _bytesDone, piece.Length));
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

    /// <summary>
    /// Syncs the destination's file system on a thread of its own each time another <see cref="Every"/> bytes have
    /// been written, so the disk writes the restored files while the workers decrypt the next ones: the one syncfs at
    /// the end found 1.1 GiB dirty and took 0.8-0.9 s, with both cores idle. The kernel's own writeback starts only
    /// at a tenth of memory dirty, which a restore of a few GiB on a machine with plenty of RAM never reaches. Only
    /// the final syncfs is the promise. All go through the handle opened at the start: the kernel reports a writeback
    /// error once to each open file, so an error one of these syncs saw is kept here and fails the get.
    /// </summary>
    private sealed class EarlyWriteback(SafeFileHandle handle, string directory)
    {
        private const long Every = 128L << 20;
        private readonly Lock _gate = new();
        private long _next = Every;
        private Task _running = Task.CompletedTask;
        private IOException? _failure;

        /// <summary>Whether a sync failed; read after <see cref="Wait"/>.</summary>
        public bool Failed => Volatile.Read(ref _failure) is not null;

        /// <summary>After <see cref="Wait"/>: throws the error a sync met, if one did.</summary>
        public void ThrowIfFailed()
        {
            if (Volatile.Read(ref _failure) is { } failure)
            {
                throw new IOException(failure.Message, failure);
            }
        }

        public void Written(long total)
        {
            if (total < Volatile.Read(ref _next))
            {
                return;
            }
            lock (_gate)
            {
                if (total < _next || !_running.IsCompleted)
                {
                    return;
                }
                _next = total + Every;
                _running = Task.Factory.StartNew(Sync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }

        /// <summary>Waits for a sync still running.</summary>
        public void Wait()
        {
            Task running;
            lock (_gate)
            {
                running = _running;
            }
            running.Wait();
        }

        private void Sync()
        {
            try
            {
                Posix.SyncFileSystem(handle, directory);
            }
            catch (IOException e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
        }
    }

    /// <summary>
    /// A directory not at the destination yet is restored under a temporary name beside its target, as a file is, its
    /// files and subdirectories under their own names inside it, and renamed into place at the end in one rename that
    /// refuses to replace, after the syncfs, so that its files' content is on disk before they appear. A file that
    /// goes into a directory already there still takes a temporary name and a rename of its own. That was 20,070
    /// renames, temporary names and random suffixes in a full-corpus restore (7 % of its CPU in <c>perf</c>, in
    /// renameat2 alone). Beside its target, the temporary directory is on the same file system (the target's parent
    /// may be a mount point or a symlink to another disk) and inherits the same parent's group and default ACLs.
    /// After a failure the unfinished files are removed and the rest moved into place all the same, once a syncfs has
    /// put them on disk; a killed get leaves its new directories under their temporary names,
    /// <c>.NAME.dupa-*.tmp</c>, and nothing half-written under a restored name.
    /// </summary>
    private sealed class Staging
    {
        private readonly Dictionary<string, string> _stagedDirectories = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stagedByParent;
        private readonly List<(string Staged, string Final)> _moves = [];
        private int _next;

        public Staging() => _stagedByParent = _stagedDirectories.GetAlternateLookup<ReadOnlySpan<char>>();

        /// <summary>
        /// Where a node whose place is <paramref name="finalPath"/> is written: under its temporary directory when an
        /// ancestor is staged, or under a temporary name when it is a directory not there yet (only when the kernel
        /// says nothing is there); else <paramref name="finalPath"/> itself. Parents come before their children.
        /// </summary>
        public string Place(string finalPath, bool isDirectory)
        {
            // Spans, not substrings: in a full restore's start (20,000 nodes), the GCs set off by the strings made here
            // were nearly all of this method's time.
            if (_stagedByParent.TryGetValue(Path.GetDirectoryName(finalPath.AsSpan()), out var stagedParent))
            {
                var inside = Path.Join(stagedParent, Path.GetFileName(finalPath.AsSpan()));
                if (isDirectory)
                {
                    _stagedDirectories[finalPath] = inside;
                }
                return inside;
            }
            if (!isDirectory || !Posix.IsMissing(finalPath))
            {
                return finalPath;
            }
            var staged = DurableFile.TemporaryNameBeside(finalPath);
            _moves.Add((staged, finalPath));
            _stagedDirectories[finalPath] = staged;
            return staged;
        }

        /// <summary>
        /// Renames each staged directory into place and makes the renames durable. One that cannot be moved (its name
        /// was taken meanwhile, its parent refuses) does not stop the others; the error names every one left.
        /// </summary>
        public void MoveIntoPlace()
        {
            var failures = new List<string>();
            var parents = new HashSet<string>(StringComparer.Ordinal);
            for (; _next < _moves.Count; _next++)
            {
                var (staged, final) = _moves[_next];
                try
                {
                    if (!Posix.TryRenameNoReplace(staged, final))
                    {
                        if (!Posix.IsMissing(final))
                        {
                            failures.Add($"'{final}' appeared while it was being restored; the restored copy is in '{staged}'");
                            continue;
                        }
                        Directory.Move(staged, final);
                    }
                    parents.Add(Path.GetDirectoryName(final)!);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Add($"{e.Message}; the restored copy is in '{staged}'");
                }
            }
            foreach (var parent in parents)
            {
                Posix.SyncDirectory(parent);
            }
            if (failures.Count > 0)
            {
                throw new IOException(failures[0] + (failures.Count > 1 ? $" ({failures.Count - 1} more directories are left under temporary names)" : ""));
            }
        }

        /// <summary>
        /// After a failure: the finished files are put on disk (syncfs) and moved into place, without a second error
        /// over the first. If the syncfs fails, nothing is moved: their content may not be on disk.
        /// </summary>
        public void TryMoveIntoPlace(SafeFileHandle? syncHandle, string destinationDirectory)
        {
            if (_next == _moves.Count)
            {
                return;
            }
            try
            {
                if (syncHandle is not null)
                {
                    Posix.SyncFileSystem(syncHandle, destinationDirectory);
                }
                MoveIntoPlace();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The first failure is the one reported; what is left stays under temporary names.
            }
        }
    }

    /// <summary>One chunk of a file (its index in the ID and location lists; -1 for an empty file) and where it goes.</summary>
    private readonly record struct Piece(RestoredFile File, int Chunk, long Offset, int Length);

    /// <summary>
    /// A file being restored: opened by its first piece, under its own name in a staged directory
    /// (<paramref name="staged"/>), else under a temporary name renamed after its last piece.
    /// </summary>
    private sealed class RestoredFile(string localPath, FileVersion version, bool staged)
    {
        private readonly Lock _gate = new();
        private SafeFileHandle? _handle;
        private string? _temporary;
        private bool _finished;

        public FileVersion Version => version;

        public string LocalPath => localPath;

        public bool InSameDirectoryAs(RestoredFile other) =>
            Path.GetDirectoryName(localPath.AsSpan()).SequenceEqual(Path.GetDirectoryName(other.LocalPath.AsSpan()));

        /// <summary>Pieces not yet written; the worker that writes the last one finishes the file.</summary>
        public int Remaining;

        public SafeFileHandle Open()
        {
            lock (_gate)
            {
                if (_handle is null)
                {
                    _temporary = staged ? localPath : DurableFile.TemporaryNameBeside(localPath);
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
            StoredMode.Apply(handle, version.Mode);
            if (OperatingSystem.IsLinux())
            {
                Posix.SetModifiedTime(handle, version.MtimeNs);
            }
            else
            {
                File.SetLastWriteTimeUtc(handle, ToDateTime(version.MtimeNs));
            }
            if (staged)
            {
                // Its directory is renamed into place after the syncfs.
                handle.Dispose();
                _finished = true;
                return;
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

        /// <summary>After a failure: closes and deletes the file being written (its temporary name, or its staged one) unless it was finished.</summary>
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
