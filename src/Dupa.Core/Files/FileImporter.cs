using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Errors;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Files;

/// <summary>
/// <c>dupa put</c>: adds files, directories and symlinks from the local file system. Files are streamed through
/// the chunker (never held whole in memory); only new chunks are sealed and stored; a file whose size, mtime and
/// inode match what the last put saw, and whose version is still current, is skipped without being read.
/// Modes, mtimes, symlinks and empty directories are kept. Changes are appended in batches, each after the packs
/// holding its chunks are durable, so a put that is stopped keeps every batch it finished.
/// </summary>
/// <remarks>
/// The tree is walked first (<see cref="SourceWalk"/>, one lstat per entry). Then files are read, cut and sealed several at a time ahead of
/// the one writer (<see cref="FileReadAhead"/>), which appends their chunks to packs and their changes to the log
/// in the walk's order. Reading one file at a time left a core idle on trees of small files: 20,000 files of
/// 1–32 KiB took 3.7 s with the put's threads waiting on each other most of that time. The kernel is asked to fetch
/// the files planned beyond those being read (<see cref="ReadHints"/>): with the page cache cold, the corpus's first
/// put took 3.6–3.9 s instead of 4.4–4.8 s, with 5.5–5.8 s of CPU instead of 6.4–6.7 s (4 pairs, native).
/// </remarks>
public sealed class FileImporter
{
    /// <summary>
    /// Files read at once, the writer's included, while together they are no larger than <see cref="BytesAhead"/>:
    /// many small files, or one large one, whose chunks are sealed on the thread pool while it is read. Sixteen
    /// rather than two per core: on a cold page cache a small file's read waits on the disk, and more of them in
    /// flight took the corpus's first put from 7.1–7.2 s to 6.1–6.8 s (two pairs, same memory). Since the kernel is
    /// asked for the files beyond them (<see cref="ReadHints"/>), 8 instead of 16 made no difference (3 pairs).
    /// </summary>
    private const int FilesAhead = 16;

    /// <summary>
    /// 8 MiB rather than 16 since the kernel fetches the files ahead (<see cref="ReadHints"/>): the corpus's first put
    /// peaked at 126 instead of 131 MiB (medians of 8 pairs, cold) in the same time (3.64 against 3.63 s). Without the
    /// hints, 8 MiB had cost 0.18 s.
    /// </summary>
    private const long BytesAhead = 8 * 1024 * 1024;

    /// <summary>
    /// Items whose checks are made ahead of the writer (directories and unchanged files need no reading), and so how
    /// far ahead the kernel is asked for the files to read (<see cref="ReadHints"/>; 1,024 was no faster).
    /// </summary>
    private const int ItemsAhead = 256;

    /// <summary>Files whose seen records are looked up at once (see <see cref="VaultIndex.TryGetSeen"/>).</summary>
    private const int SeenAhead = 16384;

    private readonly Vault _vault;
    private readonly PutOptions _options;
    private readonly List<(PutOp Op, byte[]? SeenKey, SeenFile? Seen)> _pending = [];
    private readonly List<string> _errors = [];
    private readonly List<string> _warnings = [];
    private readonly Dictionary<int, (byte[] Key, SeenFile? Seen)> _seenAhead = [];
    private int _added, _changed, _unchanged, _directories, _symlinks, _filesDone, _filesTotal;
    private long _bytesRead, _bytesTotal;

    public FileImporter(Vault vault, PutOptions? options = null)
    {
        if (!vault.IsWritable)
        {
            throw new ArgumentException("The vault must be open for writing.", nameof(vault));
        }
        _vault = vault;
        _options = options ?? new PutOptions();
    }

    /// <summary>
    /// An item checked ahead of the writer: a file to read (<see cref="ToRead"/>, then <see cref="Reading"/> once its
    /// reading has started), or one to skip (unchanged, or refused with an error), or a directory or symlink.
    /// </summary>
    private sealed class Planned(SourceWalk.Item item)
    {
        public SourceWalk.Item Item => item;

        public TreeNode? Existing;

        public byte[]? SeenKey;

        public bool Unchanged;

        public string? Error;

        /// <summary>A file to read; <see cref="Reading"/> once its reading has started.</summary>
        public bool ToRead;

        public FileReadAhead? Reading;
    }

    /// <summary>Adds each source under <paramref name="targetDirectory"/> (a vault path), keeping its own name.</summary>
    public Task<PutResult> ImportAsync(IReadOnlyList<string> sources, string targetDirectory, CancellationToken cancellationToken = default) =>
        ImportAsync(SourceWalk.Start(sources, targetDirectory, _options.Exclude), cancellationToken);

    /// <summary>Adds what <paramref name="walk"/> finds (started with this put's <see cref="PutOptions.Exclude"/>).</summary>
    public async Task<PutResult> ImportAsync(SourceWalk walk, CancellationToken cancellationToken = default)
    {
        var (items, errors, warnings) = await walk.FoundAsync();
        // The index first: the vault may still be folding its logs (Vault.State waits for that).
        FetchSeen(items, 0);
        if (_vault.State.Get(walk.TargetDirectory) is { Type: not NodeType.Directory })
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{walk.TargetDirectory}' is a file in the vault, not a directory");
        }
        _errors.AddRange(errors);
        _warnings.AddRange(warnings);
        _filesTotal = items.Count(i => i.Type == NodeType.File);
        _bytesTotal = items.Sum(i => i.Size);

        var startBytes = _vault.Chunks.BytesWritten;
        var startChunks = _vault.Chunks.ChunksWritten;
        var window = new Queue<Planned>();
        var toRead = new Queue<Planned>();
        using var hints = new ReadHints();
        try
        {
            var planned = 0;
            var reading = 0;
            var readingBytes = 0L;
            while (planned < items.Count || window.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (planned < items.Count && window.Count < ItemsAhead)
                {
                    var next = Plan(items, planned++);
                    window.Enqueue(next);
                    if (next.ToRead)
                    {
                        toRead.Enqueue(next);
                        hints.Add(() => Volatile.Read(ref next.Reading) is null ? next.Item.Source : null);
                    }
                }
                while (toRead.TryPeek(out var next) && (reading == 0 || (reading < FilesAhead && readingBytes + next.Item.Size <= BytesAhead)))
                {
                    toRead.Dequeue();
                    Volatile.Write(ref next.Reading, FileReadAhead.Start(_vault, next.Item.Source, next.Item.Size, cancellationToken));
                    reading++;
                    readingBytes += next.Item.Size;
                }
                var item = window.Dequeue();
                if (item.Reading is not null)
                {
                    reading--;
                    readingBytes -= item.Item.Size;
                }
                await ImportItemAsync(item, cancellationToken);
                if (_pending.Count >= _options.BatchSize)
                {
                    Commit();
                }
            }
            Commit();
            _vault.EndAppend();
        }
        catch
        {
            // Keep the batches already committed, the one being written included if its entry is written; the rest,
            // and the files being read, are not added. The readers stop first, so that none starts sealing while the
            // store rolls back, and the entry being written is waited for, so that no pack it refers to is rolled back.
            await StopReadingAsync(window);
            EndCommitAfterFailure();
            _vault.Chunks.RollBack();
            throw;
        }
        // Chunks of files that failed to read and were never committed.
        _vault.Chunks.RollBack();
        return new PutResult
        {
            FilesAdded = _added,
            FilesChanged = _changed,
            FilesUnchanged = _unchanged,
            Directories = _directories,
            Symlinks = _symlinks,
            BytesRead = _bytesRead,
            ChunksAdded = _vault.Chunks.ChunksWritten - startChunks,
            BytesStored = _vault.Chunks.BytesWritten - startBytes,
            Errors = _errors,
            Warnings = _warnings,
        };
    }

    private static async Task StopReadingAsync(Queue<Planned> window)
    {
        while (window.TryDequeue(out var item))
        {
            if (item.Reading is { } reading)
            {
                await reading.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Checks an item ahead of the writer: for a file, whether it changed since the last put and may be put where it
    /// goes. A file to read is read once it is among the next <see cref="FilesAhead"/>; until then the kernel is asked
    /// to fetch it (<see cref="ReadHints"/>).
    /// </summary>
    private Planned Plan(List<SourceWalk.Item> items, int index)
    {
        var item = items[index];
        var planned = new Planned(item) { Existing = _vault.State.Get(item.Target) };
        if (item.Type != NodeType.File)
        {
            return planned;
        }
        (planned.SeenKey, var lastSeen) = SeenOf(items, index);
        if (item.Inode is { } inode && lastSeen is { } seen
            && seen.Size == item.Size && seen.MtimeNs == item.MtimeNs && seen.Inode == inode
            && planned.Existing is { Type: NodeType.File } && planned.Existing.Current.Ref.ToString() == seen.Version)
        {
            planned.Unchanged = true;
            return planned;
        }
        try
        {
            _vault.State.CheckPut(item.Target, NodeType.File, _vault.NowMs);
        }
        catch (DupaException e) when (e.Code == ErrorCode.WriteOnce)
        {
            planned.Error = e.Message;
            return planned;
        }
        planned.ToRead = true;
        return planned;
    }

    private async Task ImportItemAsync(Planned planned, CancellationToken cancellationToken)
    {
        var item = planned.Item;
        var existing = planned.Existing;
        try
        {
            switch (item.Type)
            {
                case NodeType.Directory:
                    {
                        if (existing is not null && existing.Type == NodeType.Directory && existing.Current.Mode == item.Mode && existing.Current.MtimeNs == item.MtimeNs)
                        {
                            return;
                        }
                        _vault.State.CheckPut(item.Target, NodeType.Directory, _vault.NowMs);
                        _pending.Add((new PutOp(item.Target, NodeType.Directory, 0, item.MtimeNs, item.Mode), null, null));
                        _directories++;
                        return;
                    }
                case NodeType.Symlink:
                    {
                        var target = new FileInfo(item.Source).LinkTarget!;
                        if (existing is not null && existing.Type == NodeType.Symlink && existing.Current.Target == target)
                        {
                            return;
                        }
                        _vault.State.CheckPut(item.Target, NodeType.Symlink, _vault.NowMs);
                        _pending.Add((new PutOp(item.Target, NodeType.Symlink, 0, item.MtimeNs, 0x1FF) { Target = target, Base = ContentWriter.BaseOf(_vault, item.Target, NodeType.Symlink) }, null, null));
                        _symlinks++;
                        return;
                    }
                default:
                    await ImportFileAsync(planned, cancellationToken);
                    return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only reading the source lands here: the store wraps its own write failures (a full disk)
            // in a DupaException, which ends the put.
            _errors.Add($"{item.Source}: {e.Message}");
        }
        catch (DupaException e) when (e.Code == ErrorCode.WriteOnce)
        {
            _errors.Add($"{item.Source}: {e.Message}");
        }
    }

    private async Task ImportFileAsync(Planned planned, CancellationToken cancellationToken)
    {
        var item = planned.Item;
        if (planned.Error is { } error)
        {
            _errors.Add($"{item.Source}: {error}");
            return;
        }
        if (planned.Unchanged)
        {
            _unchanged++;
            _filesDone++;
            _bytesRead += item.Size;
            Report(item.Source);
            return;
        }

        var chunks = new List<(ChunkId Id, int Length)>();
        long size = 0;
        await using (var reading = planned.Reading!)
        {
            await foreach (var chunk in reading.ReadAllAsync(cancellationToken))
            {
                if (chunk.Job is { } job)
                {
                    _vault.Chunks.Write(job);
                }
                chunks.Add((chunk.Id, chunk.Length));
                size += chunk.Length;
                _bytesRead += chunk.Length;
                Report(item.Source);
            }
            reading.ThrowIfFailed();
            var op = ContentWriter.Complete(_vault, new PutOp(item.Target, NodeType.File, 0, item.MtimeNs, item.Mode) { Base = ContentWriter.BaseOf(_vault, item.Target, NodeType.File) },
                chunks, size, reading.Mime);
            var seenNow = item.Inode is { } inode ? new SeenFile(item.Size, item.MtimeNs, inode, "") : (SeenFile?)null;
            _pending.Add((op, planned.SeenKey, seenNow));
        }
        if (planned.Existing is { Type: NodeType.File })
        {
            _changed++;
        }
        else
        {
            _added++;
        }
        _filesDone++;
        Report(item.Source);
    }

    /// <summary>
    /// Appends the batch's changes once its packs are durable, on the thread pool, after the last batch's entry has been
    /// taken in (<see cref="Vault.EndAppend"/>); the files after it are read meanwhile. What the put saw of each file is
    /// recorded once the entry is written. A failure to write it is thrown at the next batch's commit or at the end.
    /// </summary>
    private void Commit()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        _vault.EndAppend();
        var batch = _pending.ToList();
        _vault.BeginAppend([.. batch.Select(p => (Operation)p.Op)], refs => RecordSeen(batch, refs));
        _pending.Clear();
    }

    private void EndCommitAfterFailure()
    {
        try
        {
            _vault.EndAppend();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The put fails with the error that stopped it here. If this batch's entry was not written, its packs are
            // rolled back with the rest.
        }
    }

    private void RecordSeen(List<(PutOp Op, byte[]? SeenKey, SeenFile? Seen)> batch, IReadOnlyList<OpRef> refs)
    {
        var seen = new List<(byte[], SeenFile)>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is { SeenKey: { } key, Seen: { } file })
            {
                seen.Add((key, file with { Version = refs[i].ToString() }));
            }
        }
        _vault.Index.SetSeen(seen);
    }

    /// <summary>What the last put saw of file <paramref name="index"/>, looked up with the files after it.</summary>
    private (byte[] Key, SeenFile? Seen) SeenOf(List<SourceWalk.Item> items, int index)
    {
        if (!_seenAhead.Remove(index, out var found))
        {
            FetchSeen(items, index);
            _seenAhead.Remove(index, out found);
        }
        return found;
    }

    /// <summary>
    /// Looks up what the last put saw of the files from <paramref name="index"/> on: up to <see cref="SeenAhead"/> of
    /// them at once, so that the index may read its table once rather than search it per file.
    /// </summary>
    private void FetchSeen(List<SourceWalk.Item> items, int index)
    {
        _seenAhead.Clear();
        var files = Enumerable.Range(index, Math.Min(SeenAhead, items.Count - index)).Where(i => items[i].Type == NodeType.File).ToList();
        // One HMAC context for them all: a new one per file cost about 5 µs, 0.1 s for 20,000 files.
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _vault.Keys.Index);
        var keys = files.Select(i => SeenKey(hmac, items[i].Source, items[i].Target)).ToList();
        var seen = _vault.Index.TryGetSeen(keys);
        for (var i = 0; i < files.Count; i++)
        {
            _seenAhead[files[i]] = (keys[i], seen[i]);
        }
    }

    private static byte[] SeenKey(IncrementalHash hmac, string source, string target)
    {
        hmac.AppendData(Encoding.UTF8.GetBytes(source + "\0" + target));
        return hmac.GetHashAndReset();
    }

    private void Report(string current) =>
        _options.Progress?.Report(new PutProgress(_bytesRead, _bytesTotal, _filesDone, _filesTotal, current));
}
