using System.Buffers;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Index;
using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Storage;

/// <summary>
/// The local chunk store: sealed chunks in pack files, located through the index. Adding seals a chunk into
/// the open pack; <see cref="Flush"/> makes the pack durable and records it in the index, and must come before
/// any log entry that refers to its chunks. Reads are safe from many threads and processes; one writer adds.
/// </summary>
public sealed class ChunkStore : IDisposable
{
    /// <summary>Pack files a store (and each prefetcher) keeps open at most.</summary>
    internal const int MaxOpenPacks = 32;

    private readonly string _vaultDirectory;
    private readonly VaultIndex _index;
    private readonly ChunkCodec _codec;
    private readonly long _packSize;
    private readonly Lock _gate = new();
    // Both guarded by _gate: chunks written since the last commit, and chunks being sealed, by ID.
    private readonly Dictionary<ChunkId, BlobKind> _pending = [];
    private readonly Dictionary<ChunkId, SealJob> _inFlight = [];
    private readonly Dictionary<string, OpenPack> _openPacks = new(StringComparer.Ordinal);
    private readonly Lock _readGate = new();
    // Packs finished since the last commit, each with the number it was handed over as (_packsHandedOver).
    private readonly List<(long Number, string Hash)> _uncommittedPacks = [];
    private readonly Queue<SealJob> _sealing = new();
    private readonly int _maxSealing = 2 * Environment.ProcessorCount;
    private PackWriter? _writer;
    // The full pack being made durable and indexed on the thread pool while the next one fills; at most one.
    private Task? _finishing;
    private long _packsHandedOver;

    public ChunkStore(string vaultDirectory, VaultIndex index, ChunkCodec codec, long packSize)
    {
        _vaultDirectory = vaultDirectory;
        _index = index;
        _codec = codec;
        _packSize = packSize;
    }

    public ChunkCodec Codec => _codec;

    /// <summary>Sealed bytes written since this store was opened (new chunks only).</summary>
    public long BytesWritten { get; private set; }

    public int ChunksWritten { get; private set; }

    /// <summary>Whether the store holds the chunk: in the index, or written since the last commit. Thread-safe.</summary>
    public bool Contains(ChunkId id)
    {
        lock (_gate)
        {
            if (_pending.ContainsKey(id))
            {
                return true;
            }
        }
        return _index.Contains(id);
    }

    /// <summary>
    /// Seals and stores a chunk unless the store already holds it. Returns true if it was new. Sealing (zstd and
    /// AES-GCM, most of a put's CPU time) runs on the thread pool, up to two chunks per core ahead of the pack
    /// writer, which appends them in the order they were added; the caller meanwhile cuts and hashes the next ones.
    /// The plaintext is copied, so the caller may reuse its buffer at once.
    /// </summary>
    public bool Add(ChunkId id, BlobKind kind, ReadOnlySpan<byte> plaintext) =>
        StartSeal(id, kind, plaintext, onThisThread: false) is { } job && Write(job);

    /// <summary>
    /// Starts sealing a chunk for a later <see cref="Write"/>, unless the store already holds it (null). Thread-safe:
    /// readers of several files call it at once, ahead of the one writer. A chunk already being sealed for another
    /// file gives that same job, so a duplicate is sealed once. <paramref name="onThisThread"/> seals before
    /// returning (for small chunks, where a hand-off costs more than the work); otherwise the plaintext is copied
    /// and sealed on the thread pool. The caller owns the job it gets: it passes it to <see cref="Write"/> or
    /// disposes it.
    /// </summary>
    internal SealJob? StartSeal(ChunkId id, BlobKind kind, ReadOnlySpan<byte> plaintext, bool onThisThread)
    {
        if (Contains(id))
        {
            return null;
        }
        var buffer = ChunkBuffers.Pool.Rent(ChunkCodec.MaxSealedSize(plaintext.Length));
        plaintext.CopyTo(buffer.AsSpan(ChunkCodec.PlaintextOffset));
        SealJob? job = null;
        lock (_gate)
        {
            if (!_pending.ContainsKey(id))
            {
                if (_inFlight.TryGetValue(id, out var shared) && shared.TryAddReference())
                {
                    job = shared;
                }
                else
                {
                    job = new SealJob(this, _codec, id, kind, buffer, plaintext.Length);
                    _inFlight[id] = job;
                    buffer = null;
                }
            }
        }
        if (buffer is not null)
        {
            // Stored or being sealed already.
            ChunkBuffers.Pool.Return(buffer);
            return job;
        }
        job!.Start(onThisThread);
        return job;
    }

    /// <summary>
    /// Appends a chunk started by <see cref="StartSeal"/> to the open pack, in the order of the calls (the one writer
    /// only), unless the store holds it by now; takes over the caller's job. Returns true if it was new. The pack
    /// writer runs up to two chunks per core behind, waiting for their sealing only when it must.
    /// </summary>
    internal bool Write(SealJob job)
    {
        lock (_gate)
        {
            if (_pending.ContainsKey(job.Id))
            {
                job.Dispose();
                return false;
            }
            _pending[job.Id] = job.Kind;
        }
        _sealing.Enqueue(job);
        while (_sealing.Count > _maxSealing)
        {
            WriteOldestSealed();
        }
        return true;
    }

    /// <summary>Lets go of one holder's reference to a job; true for the last, which a later chunk with its ID no longer finds.</summary>
    internal bool Release(SealJob job)
    {
        lock (_gate)
        {
            if (!job.ReleaseReference())
            {
                return false;
            }
            if (_inFlight.TryGetValue(job.Id, out var current) && current == job)
            {
                _inFlight.Remove(job.Id);
            }
            return true;
        }
    }

    /// <summary>Waits for the oldest chunk being sealed and appends it to the open pack.</summary>
    private void WriteOldestSealed()
    {
        var job = _sealing.Dequeue();
        try
        {
            var sealedBlob = job.Wait();
            _writer ??= new PackWriter(_vaultDirectory);
            _writer.Add(job.Id, job.Kind, sealedBlob);
            BytesWritten += sealedBlob.Length;
            ChunksWritten++;
        }
        catch
        {
            // A pack writer that failed once stays failed: drop it with every chunk it held.
            job.Dispose();
            AbandonPack();
            throw;
        }
        job.Dispose();
        if (_writer.Length >= _packSize)
        {
            StartFinishing();
        }
    }

    /// <summary>Stores a chunk sealed elsewhere (by another member) if it opens and matches its ID. Returns true if it was new.</summary>
    public bool AddSealed(ChunkId id, BlobKind kind, ReadOnlySpan<byte> sealedBlob)
    {
        if (Contains(id))
        {
            return false;
        }
        // Authenticates the ciphertext and checks the keyed ID of the plaintext.
        CheckOpens(id, kind, sealedBlob, "a peer's answer");
        try
        {
            _writer ??= new PackWriter(_vaultDirectory);
            _writer.Add(id, kind, sealedBlob);
            lock (_gate)
            {
                _pending[id] = kind;
            }
            BytesWritten += sealedBlob.Length;
            ChunksWritten++;
        }
        catch
        {
            AbandonPack();
            throw;
        }
        if (_writer.Length >= _packSize)
        {
            Flush();
        }
        return true;
    }

    /// <summary>Writes every chunk still being sealed, then finishes the open pack, if any: durable on disk, then recorded in the index.</summary>
    public void Flush()
    {
        BeginFlush();
        WaitForFinishing();
    }

    /// <summary>
    /// <see cref="Flush"/> without waiting for the open pack: every chunk added so far is written and the pack handed
    /// over to be finished (after the one before it, which this waits for, as a full pack does). Returns a task that
    /// completes when those packs are durable and indexed (it fails as the finishing did), and their mark for
    /// <see cref="MarkCommitted(long)"/>. The writer may go on adding chunks at once; they go into a new pack.
    /// </summary>
    public (Task Durable, long Mark) BeginFlush()
    {
        while (_sealing.Count > 0)
        {
            WriteOldestSealed();
        }
        StartFinishing();
        return (_finishing ?? Task.CompletedTask, _packsHandedOver);
    }

    /// <summary>
    /// Hands the open pack over to be finished on the thread pool (fsync, rename, directory fsync, index), after the
    /// one before it. The writer meanwhile fills the next pack: finishing a pack on the writer's thread stalled the
    /// whole put, 38 times 25–30 ms for the benchmark corpus (1.0 s of a 7.5 s put, on a disk that syncs at 1.8 GB/s).
    /// </summary>
    private void StartFinishing()
    {
        WaitForFinishing();
        if (_writer is not { } writer)
        {
            return;
        }
        _writer = null;
        var number = ++_packsHandedOver;
        _finishing = Task.Run(() => Finish(writer, number));
    }

    /// <summary>Waits for the pack being finished, if any; throws what made it fail (the store then abandons everything since).</summary>
    private void WaitForFinishing()
    {
        if (_finishing is not { } finishing)
        {
            return;
        }
        _finishing = null;
        try
        {
            finishing.GetAwaiter().GetResult();
        }
        catch
        {
            AbandonPack();
            throw;
        }
    }

    private void Finish(PackWriter writer, long number)
    {
        using (writer)
        {
            var pack = writer.Finish();
            try
            {
                _index.AddPack(pack);
            }
            catch
            {
                // A pack the index never took is in no roll-back's list: it goes now (the index's write fails on a
                // full disk that had room for the pack).
                DeletePackFile(pack.Hash);
                throw;
            }
            // In the index first, then no longer pending: a concurrent Contains always finds the chunk in one.
            lock (_gate)
            {
                _uncommittedPacks.Add((number, pack.Hash));
                foreach (var entry in pack.Entries)
                {
                    _pending.Remove(entry.Id);
                }
            }
        }
    }

    /// <summary>A log entry now refers to every pack finished so far (after <see cref="Flush"/>: every pack): they are part of the vault.</summary>
    public void MarkCommitted() => MarkCommitted(long.MaxValue);

    /// <summary>A log entry now refers to the packs flushed up to <paramref name="mark"/> (<see cref="BeginFlush"/>); those after it are not yet part of the vault.</summary>
    public void MarkCommitted(long mark)
    {
        lock (_gate)
        {
            _uncommittedPacks.RemoveAll(p => p.Number <= mark);
        }
    }

    /// <summary>
    /// Undoes everything since the last commit: the open pack and every pack finished that no log entry refers to yet
    /// (not marked committed). A put that fails (a full disk) thus leaves the vault as it found it.
    /// </summary>
    public void RollBack()
    {
        AbandonPack();
        foreach (var (_, hash) in _uncommittedPacks)
        {
            _index.RemovePack(hash);
            DeletePackFile(hash);
        }
        _uncommittedPacks.Clear();
    }

    private void DeletePackFile(string hash) => DurableFile.TryDelete(Path.Combine(_vaultDirectory, PackFormat.RelativePath(hash)));

    /// <summary>
    /// Drops the open pack and its chunks, and those still being sealed (an operation failed or was cancelled). A pack
    /// being finished is waited for: if it got into the index, it is among the uncommitted packs a roll-back removes.
    /// </summary>
    public void AbandonPack()
    {
        try
        {
            _finishing?.Wait();
        }
        catch (AggregateException)
        {
            // Reported by WaitForFinishing, or the pack is being dropped anyway.
        }
        _finishing = null;
        while (_sealing.Count > 0)
        {
            _sealing.Dequeue().Dispose();
        }
        _writer?.Dispose();
        _writer = null;
        lock (_gate)
        {
            _pending.Clear();
        }
    }

    /// <summary>Reads, authenticates and opens a chunk into a buffer rented from the shared pool; return it after use.</summary>
    public RentedChunk Read(ChunkId id, BlobKind kind)
    {
        if (!_index.TryGetChunk(id, out var location))
        {
            throw new IntegrityException($"chunk {id.Short}", "missing from the store");
        }
        return Read(id, location, kind);
    }

    /// <summary>
    /// <see cref="Read(ChunkId, BlobKind)"/> at a location already looked up (<see cref="Locate"/>): a restore looks up
    /// all its chunks at once instead of one index query per chunk.
    /// </summary>
    public RentedChunk Read(ChunkId id, ChunkLocation location, BlobKind kind)
    {
        var sealedBlob = ArrayPool<byte>.Shared.Rent(location.Length);
        try
        {
            var where = $"pack {location.Pack[..12]}";
            ReadExactly(location, sealedBlob.AsSpan(0, location.Length));
            var plainLength = ChunkCodec.PlainLength(sealedBlob.AsSpan(0, location.Length));
            if (plainLength is < 0 or > 64 * 1024 * 1024)
            {
                throw new IntegrityException($"chunk {id.Short} in {where}", "the blob header is damaged");
            }
            var plaintext = ChunkBuffers.Pool.Rent(Math.Max(plainLength, 1));
            try
            {
                var length = _codec.Open(id, kind, sealedBlob.AsSpan(0, location.Length), plaintext, where);
                return new RentedChunk(plaintext, length);
            }
            catch
            {
                ChunkBuffers.Pool.Return(plaintext);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedBlob);
        }
    }

    /// <summary>
    /// The locations of <paramref name="ids"/>, null for a chunk the store lacks. Many chunks (a restore of a tree)
    /// are found in one pass over the index rather than one query each: the per-chunk query, serialized under the
    /// index's lock, was a tenth of a 1.1 GiB restore's CPU time.
    /// </summary>
    public ChunkLocation?[] Locate(IReadOnlyList<ChunkId> ids) => _index.TryGetChunks(ids);

    /// <summary>
    /// A reader-ahead for one thread: asks the kernel to start reading chunks' bytes from their packs, for reads soon
    /// after. It keeps pack handles of its own: taking them from the readers' cache made it and the readers evict
    /// each other's packs and wait for the cache's lock.
    /// </summary>
    public ChunkPrefetch Prefetcher() => new(_vaultDirectory);

    /// <summary>A chunk's sealed bytes as stored, after checking that they open: what gc copies into a new pack.</summary>
    public byte[] ReadSealed(ChunkId id, ChunkLocation location)
    {
        var sealedBlob = new byte[location.Length];
        ReadExactly(location, sealedBlob);
        CheckOpens(id, location.Kind, sealedBlob, $"pack {location.Pack[..12]}");
        return sealedBlob;
    }

    /// <summary>
    /// Throws an <see cref="IntegrityException"/> naming "chunk ID in <paramref name="where"/>" (a pack, a peer's
    /// answer) unless the sealed blob opens under this vault's keys as chunk <paramref name="id"/>.
    /// </summary>
    public void CheckOpens(ChunkId id, BlobKind kind, ReadOnlySpan<byte> sealedBlob, string where)
    {
        var plainLength = ChunkCodec.PlainLength(sealedBlob);
        if (plainLength is < 0 or > 64 * 1024 * 1024)
        {
            throw new IntegrityException($"chunk {id.Short} in {where}", "the blob header is damaged");
        }
        var plaintext = ChunkBuffers.Pool.Rent(Math.Max(plainLength, 1));
        try
        {
            _codec.Open(id, kind, sealedBlob, plaintext, where);
        }
        finally
        {
            ChunkBuffers.Pool.Return(plaintext);
        }
    }

    /// <summary>Closes cached pack handles, so that packs gc removed are not kept open.</summary>
    public void ClosePacks()
    {
        lock (_readGate)
        {
            EvictAll();
        }
    }

    private void ReadExactly(ChunkLocation location, Span<byte> destination)
    {
        // The cache is used under the lock and the read done outside it, so that restore and verify workers read
        // in parallel; a handle evicted meanwhile is closed by the last reader using it.
        OpenPack pack;
        lock (_readGate)
        {
            pack = Acquire(location.Pack);
        }
        try
        {
            var read = 0;
            while (read < destination.Length)
            {
                var n = RandomAccess.Read(pack.Handle, destination[read..], location.Offset + read);
                if (n == 0)
                {
                    throw new IntegrityException($"pack {location.Pack[..12]}", "the pack is shorter than the index says");
                }
                read += n;
            }
        }
        finally
        {
            lock (_readGate)
            {
                pack.Readers--;
                pack.CloseIfUnused();
            }
        }
    }

    private OpenPack Acquire(string hash)
    {
        if (!_openPacks.TryGetValue(hash, out var pack))
        {
            if (_openPacks.Count >= MaxOpenPacks)
            {
                EvictAll();
            }
            var path = Path.Combine(_vaultDirectory, PackFormat.RelativePath(hash));
            try
            {
                pack = new OpenPack(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new IntegrityException($"pack {hash[..12]}", "the pack file is missing");
            }
            _openPacks[hash] = pack;
        }
        pack.Readers++;
        return pack;
    }

    private void EvictAll()
    {
        foreach (var pack in _openPacks.Values)
        {
            pack.Evicted = true;
            pack.CloseIfUnused();
        }
        _openPacks.Clear();
    }

    /// <summary>A cached pack handle and how many reads are using it; guarded by the store's read lock.</summary>
    private sealed class OpenPack(SafeFileHandle handle)
    {
        public SafeFileHandle Handle => handle;

        public int Readers;

        public bool Evicted;

        public void CloseIfUnused()
        {
            if (Evicted && Readers == 0)
            {
                handle.Dispose();
            }
        }
    }

    public void Dispose()
    {
        AbandonPack();
        ClosePacks();
    }
}

/// <summary>
/// One chunk being sealed into a pooled buffer, on the thread pool or on the thread that started it, and shared by
/// every file that holds the chunk until the writer appends it (<see cref="ChunkStore.StartSeal"/>). Each holder
/// disposes its reference; the last one returns the buffer.
/// </summary>
internal sealed class SealJob : IDisposable
{
    private readonly ChunkStore _store;
    private readonly Task<int> _sealing;
    private byte[]? _buffer;
    private int _references = 1;

    /// <summary>A job ready to seal, in place, the plaintext in <paramref name="buffer"/> (pooled; returned by the last holder).</summary>
    internal SealJob(ChunkStore store, ChunkCodec codec, ChunkId id, BlobKind kind, byte[] buffer, int plainLength)
    {
        _store = store;
        Id = id;
        Kind = kind;
        _buffer = buffer;
        _sealing = new Task<int>(() => codec.Seal(id, kind, buffer, plainLength));
    }

    public ChunkId Id { get; }

    public BlobKind Kind { get; }

    /// <summary>
    /// Seals on this thread or the thread pool. A thread that waits for a job the pool has not started yet runs it
    /// itself, so a busy pool never stalls the writer.
    /// </summary>
    internal void Start(bool onThisThread)
    {
        if (onThisThread)
        {
            _sealing.RunSynchronously(TaskScheduler.Default);
        }
        else
        {
            _sealing.Start(TaskScheduler.Default);
        }
    }

    /// <summary>Another file holds the same chunk; false once the last holder let go. Under the store's lock.</summary>
    internal bool TryAddReference()
    {
        if (_references == 0)
        {
            return false;
        }
        _references++;
        return true;
    }

    /// <summary>True when this was the last reference. Under the store's lock.</summary>
    internal bool ReleaseReference() => --_references == 0;

    /// <summary>The sealed chunk, once sealing is done; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Wait() => _buffer.AsSpan(0, _sealing.GetAwaiter().GetResult());

    /// <summary>Lets go of this holder's reference; the last returns the buffer, after the sealing has finished with it.</summary>
    public void Dispose()
    {
        if (!_store.Release(this))
        {
            return;
        }
        try
        {
            // Sealing may still write into the buffer: wait for it, failed or not.
            _sealing.Wait();
        }
        catch (AggregateException)
        {
            // Its failure was reported by Wait, or the chunk is being dropped anyway.
        }
        ChunkBuffers.Pool.Return(_buffer!);
        _buffer = null;
    }
}

/// <summary>
/// Asks the kernel to read chunks ahead of their reads (<see cref="ChunkStore.Prefetcher"/>); for one thread. It keeps
/// at most <see cref="ChunkStore.MaxOpenPacks"/> packs open, as the store does: a vault of many small packs must not
/// use up the process's file descriptors, which the reads need. Read-ahead goes through a restore's pieces in order,
/// so when the limit is reached the packs it opened are all closed.
/// </summary>
/// <remarks>
/// Chunks that follow one another in a pack, as the chunks of the small files put together do, are asked for in one
/// range of up to <see cref="MaxRange"/>: one posix_fadvise per chunk was 20,746 calls and 5 % of a full restore's
/// CPU. A range is given when the next chunk does not continue it, when it is full, or at <see cref="Flush"/>.
/// </remarks>
public sealed class ChunkPrefetch(string vaultDirectory) : IDisposable
{
    /// <summary>The longest range asked for at once: long enough to save the calls, short enough to reach the kernel well before the reads.</summary>
    internal const long MaxRange = 1L << 20;

    /// <summary>A gap between two chunks this small is read with them (another chunk's bytes, or a pack's header).</summary>
    private const long MaxGap = 16L << 10;

    private readonly Dictionary<string, SafeFileHandle?> _packs = new(StringComparer.Ordinal);
    private SafeFileHandle? _range;
    private long _rangeStart, _rangeEnd;

    /// <summary>Packs open now (for tests).</summary>
    internal int OpenPacks => _packs.Values.Count(handle => handle is not null);

    /// <summary>Ranges asked for so far (for tests).</summary>
    internal int RangesGiven { get; private set; }

    /// <summary>Starts reading the chunk's bytes into the page cache, without waiting; a pack that cannot be opened is left to the read to report.</summary>
    public void Chunk(ChunkLocation location)
    {
        if (!_packs.TryGetValue(location.Pack, out var handle))
        {
            if (_packs.Count >= ChunkStore.MaxOpenPacks)
            {
                Dispose();
            }
            try
            {
                handle = File.OpenHandle(Path.Combine(vaultDirectory, PackFormat.RelativePath(location.Pack)), FileMode.Open, FileAccess.Read, FileShare.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                handle = null;
            }
            _packs[location.Pack] = handle;
        }
        if (handle is null)
        {
            return;
        }
        var end = location.Offset + location.Length;
        if (handle == _range && location.Offset >= _rangeEnd && location.Offset - _rangeEnd <= MaxGap && end - _rangeStart <= MaxRange)
        {
            _rangeEnd = end;
            return;
        }
        Flush();
        (_range, _rangeStart, _rangeEnd) = (handle, location.Offset, end);
    }

    /// <summary>Asks for the range gathered so far: before the caller waits, so that the chunks it has seen are on their way.</summary>
    public void Flush()
    {
        if (_range is null)
        {
            return;
        }
        Native.Posix.WillNeed(_range, _rangeStart, _rangeEnd - _rangeStart);
        RangesGiven++;
        _range = null;
    }

    public void Dispose()
    {
        Flush();
        foreach (var handle in _packs.Values)
        {
            handle?.Dispose();
        }
        _packs.Clear();
    }
}

/// <summary>
/// A chunk's plaintext in a pooled buffer (<see cref="ChunkBuffers"/>: never handed to the process-wide pool with
/// plaintext in it). Dispose returns the buffer.
/// </summary>
public readonly struct RentedChunk(byte[] buffer, int length) : IDisposable
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

    public int Length => length;

    public void Dispose() => ChunkBuffers.Pool.Return(buffer);
}
