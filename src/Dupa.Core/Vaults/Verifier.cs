using System.Buffers;
using System.Security.Cryptography;
using Dupa.Core.Errors;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Vaults;

/// <summary>Something verify found wrong, naming the damaged object.</summary>
public sealed record VerifyProblem(string Object, string Message)
{
    public override string ToString() => $"{Object}: {Message}";
}

public sealed record VerifyProgress(int PacksDone, int PacksTotal, long BytesDone);

/// <summary>What verify found. <see cref="Notes"/> are harmless leftovers of interrupted writes.</summary>
public sealed record VerifyReport(IReadOnlyList<VerifyProblem> Problems, IReadOnlyList<string> Notes, int Entries, int Packs, int Chunks, long BytesRead)
{
    public bool IsClean => Problems.Count == 0;
}

/// <summary>
/// <c>dupa verify</c>: checks every log chain and signature, the checkpoints against the fold, the index against
/// the packs and logs, that every chunk a kept version needs is present, and (unless quick) hashes every pack
/// and authenticates every chunk in it.
/// </summary>
/// <remarks>
/// A full verify reads the packs on one worker per core from its start, while this thread checks the logs, the
/// index and the references beside them, then joins the workers: those checks took about 0.5 s on one core before
/// the first pack was read (1.1 GiB corpus), with the other core idle. A worker reads each pack once: its trailer,
/// checked against the index, then every byte front to back, hashed, each chunk opened from the same read.
/// </remarks>
public sealed class Verifier
{
    private readonly Vault _vault;
    private readonly IProgress<VerifyProgress>? _progress;
    private readonly PackHashing? _hashedAhead;
    private readonly List<VerifyProblem> _problems = [];
    private readonly List<string> _notes = [];

    /// <param name="vault">The vault to check.</param>
    /// <param name="progress">Reports each pack read.</param>
    /// <param name="hashedAhead">Pack hashes started before the vault was opened (<see cref="PackHashing.Start"/>), or null.</param>
    public Verifier(Vault vault, IProgress<VerifyProgress>? progress = null, PackHashing? hashedAhead = null)
    {
        _vault = vault;
        _progress = progress;
        _hashedAhead = hashedAhead;
    }

    public VerifyReport Run(bool quick, CancellationToken cancellationToken = default)
    {
        var packProblems = new List<VerifyProblem>();
        var (indexChunks, chunksByPack) = LoadIndexChunks(packProblems);
        var packs = _vault.Index.Packs();
        var contents = quick ? null : PackContents.Start(this, packs, chunksByPack, cancellationToken);
        try
        {
            CheckLogs();
            CheckIndexStructure();
            if (quick)
            {
                foreach (var (pack, _) in packs)
                {
                    CheckTrailer(pack, chunksByPack.GetValueOrDefault(pack) ?? [], packProblems);
                }
            }
            var strays = CheckStrayPacks(packs);
            var references = CheckReferencedChunks(indexChunks, quick);
            long bytes = 0;
            var read = 0;
            if (contents is not null)
            {
                var results = contents.Finish();
                packProblems.AddRange(results.SelectMany(r => r.Trailer));
                packProblems.AddRange(strays);
                // In pack order, whichever worker finished first: every pack's hash, then every chunk, as before.
                packProblems.AddRange(results.SelectMany(r => r.Hash));
                packProblems.AddRange(results.SelectMany(r => r.Chunks));
                bytes = results.Sum(r => r.Bytes);
                read = results.Count(r => r.Read);
            }
            else
            {
                packProblems.AddRange(strays);
            }
            _problems.AddRange(packProblems);
            _problems.AddRange(references);
            return new VerifyReport(_problems, _notes, _vault.Entries.Count, packs.Count, indexChunks.Count, bytes);
        }
        finally
        {
            contents?.Abandon();
        }
    }

    private void CheckLogs()
    {
        foreach (var damage in _vault.LogDamage)
        {
            _problems.Add(new VerifyProblem(damage.DamagedObject, TrimObject(damage)));
        }
        foreach (var log in _vault.Logs.Where(l => l.TornTailBytes > 0))
        {
            _notes.Add($"log {log.Device.Hex[..12]}: {log.TornTailBytes} bytes of an interrupted append at the end (ignored; cut off by the next write)");
        }
        var state = _vault.State;
        foreach (var log in _vault.Logs.Where(l => l.Last is not null))
        {
            if (log.Device.Hex != _vault.Header.GenesisDevice && !state.Devices.Contains(log.Device.Hex))
            {
                _problems.Add(new VerifyProblem($"log {log.Device.Hex[..12]}", "written by a device that never joined the vault"));
            }
        }
        if (_vault.Logs.All(l => l.Device.Hex != _vault.Header.GenesisDevice))
        {
            _problems.Add(new VerifyProblem("logs", "the log of the vault's first device is missing"));
        }
        foreach (var problem in state.Problems)
        {
            _problems.Add(new VerifyProblem("logs", "an operation does not apply: " + problem));
        }
        foreach (var (entry, checkpoint) in state.Checkpoints)
        {
            var expected = Convert.ToHexStringLower(_vault.StateAtHeads(checkpoint.Heads).ComputeHash());
            if (!string.Equals(expected, checkpoint.State, StringComparison.Ordinal))
            {
                _problems.Add(new VerifyProblem($"log {entry.Device.Hex[..12]} entry {entry.Sequence}", "the checkpoint's state hash does not match the fold of the entries it names"));
            }
        }
    }

    private void CheckIndexStructure()
    {
        foreach (var complaint in _vault.Index.CheckStructure())
        {
            _problems.Add(new VerifyProblem("index", complaint + " (run 'dupa index rebuild')"));
        }
    }

    /// <summary>Every chunk row of the index, by ID and by pack (each pack's in offset order).</summary>
    private (Dictionary<ChunkId, ChunkLocation> ById, Dictionary<string, List<(ChunkId Id, ChunkLocation Location)>> ByPack) LoadIndexChunks(List<VerifyProblem> problems)
    {
        var byPack = new Dictionary<string, List<(ChunkId Id, ChunkLocation Location)>>(StringComparer.Ordinal);
        IReadOnlyList<(ChunkId Id, ChunkLocation Location)> rows;
        try
        {
            rows = _vault.Index.Chunks();
        }
        catch (IntegrityException e)
        {
            problems.Add(new VerifyProblem("index", TrimObject(e)));
            return ([], byPack);
        }
        var byId = new Dictionary<ChunkId, ChunkLocation>(rows.Count);
        foreach (var row in rows)
        {
            byId[row.Id] = row.Location;
            if (!byPack.TryGetValue(row.Location.Pack, out var list))
            {
                byPack[row.Location.Pack] = list = [];
            }
            list.Add(row);
        }
        foreach (var list in byPack.Values)
        {
            list.Sort(static (a, b) => a.Location.Offset.CompareTo(b.Location.Offset));
        }
        return (byId, byPack);
    }

    /// <summary>Quick verify: each indexed pack must exist and its trailer must say exactly what the index says.</summary>
    private static void CheckTrailer(string pack, List<(ChunkId Id, ChunkLocation Location)> indexed, List<VerifyProblem> problems, string vaultDirectory)
    {
        var path = Path.Combine(vaultDirectory, PackFormat.RelativePath(pack));
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            CompareTrailer(handle, pack, indexed, problems);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problems.Add(new VerifyProblem($"pack {pack[..12]}", "the pack file is missing"));
        }
    }

    private void CheckTrailer(string pack, List<(ChunkId Id, ChunkLocation Location)> indexed, List<VerifyProblem> problems) =>
        CheckTrailer(pack, indexed, problems, _vault.Directory);

    /// <summary>Compares a pack's trailer with the index's rows for it (in offset order), adding what disagrees.</summary>
    private static void CompareTrailer(SafeFileHandle handle, string pack, List<(ChunkId Id, ChunkLocation Location)> indexed, List<VerifyProblem> problems)
    {
        try
        {
            var trailer = PackFormat.ReadTrailer(handle, pack);
            // Trailer offsets are distinct and ascending, and index rows have distinct IDs: the two agree exactly when
            // they are equal entry by entry in offset order.
            var agree = trailer.Count == indexed.Count;
            for (var i = 0; agree && i < trailer.Count; i++)
            {
                var (id, location) = indexed[i];
                var entry = trailer[i];
                agree = entry.Id == id && entry.Offset == location.Offset && entry.Length == location.Length && entry.Kind == location.Kind;
            }
            if (!agree)
            {
                problems.Add(new VerifyProblem("index", $"the index disagrees with pack {pack[..12]}'s trailer (run 'dupa index rebuild')"));
            }
        }
        catch (IntegrityException e)
        {
            problems.Add(new VerifyProblem(e.DamagedObject, TrimObject(e)));
        }
    }

    /// <summary>Pack files the index does not know: notes for whole packs left by interrupted writes, problems for anything else.</summary>
    private List<VerifyProblem> CheckStrayPacks(IReadOnlyList<(string Hash, long Size)> packs)
    {
        var problems = new List<VerifyProblem>();
        var indexedPacks = packs.Select(p => p.Hash).ToHashSet(StringComparer.Ordinal);
        var packsDirectory = Path.Combine(_vault.Directory, "packs");
        foreach (var file in Directory.EnumerateFiles(packsDirectory, "*.pack", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.Length != 64)
            {
                problems.Add(new VerifyProblem($"file {Path.GetRelativePath(_vault.Directory, file)}", "a stray file among the packs"));
            }
            else if (!indexedPacks.Contains(name))
            {
                _notes.Add($"pack {name[..Math.Min(12, name.Length)]}: not in the index (left by an interrupted write; 'dupa index rebuild' takes it in)");
            }
        }
        return problems;
    }

    /// <summary>
    /// The packs of a full verify, read by one worker per core that start at once; <see cref="Finish"/> makes the
    /// calling thread one more worker and waits for all.
    /// </summary>
    private sealed class PackContents
    {
        private readonly Verifier _verifier;
        private readonly IReadOnlyList<(string Hash, long Size)> _packs;
        private readonly Dictionary<string, List<(ChunkId Id, ChunkLocation Location)>> _chunksByPack;
        private readonly CancellationToken _cancellationToken;
        private readonly PackCheck[] _results;
        private readonly Lock _progressGate = new();
        private Task[] _workers = [];
        private List<PackCheck>? _finished;
        private int _next = -1, _done;
        private long _bytes;

        private PackContents(Verifier verifier, IReadOnlyList<(string Hash, long Size)> packs, Dictionary<string, List<(ChunkId Id, ChunkLocation Location)>> chunksByPack, CancellationToken cancellationToken)
        {
            _verifier = verifier;
            _packs = packs;
            _chunksByPack = chunksByPack;
            _cancellationToken = cancellationToken;
            _results = new PackCheck[packs.Count];
        }

        public static PackContents Start(Verifier verifier, IReadOnlyList<(string Hash, long Size)> packs, Dictionary<string, List<(ChunkId Id, ChunkLocation Location)>> chunksByPack, CancellationToken cancellationToken)
        {
            // From here on the workers hash what the early hashing has not claimed: each pack is then read once.
            verifier._hashedAhead?.Stop();
            var contents = new PackContents(verifier, packs, chunksByPack, cancellationToken);
            contents._workers = [.. Enumerable.Range(0, Math.Min(Environment.ProcessorCount, packs.Count))
                .Select(_ => Task.Factory.StartNew(contents.Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];
            return contents;
        }

        /// <summary>Works along until every pack is done, then gives the results in pack order. Rethrows a worker's failure.</summary>
        public List<PackCheck> Finish()
        {
            if (_finished is not null)
            {
                return _finished;
            }
            try
            {
                Work();
            }
            finally
            {
                // Whatever happened here, no worker is left running on the vault.
                Task.WaitAll(_workers.Select(w => w.ContinueWith(static _ => { }, TaskScheduler.Default)).ToArray());
            }
            foreach (var worker in _workers)
            {
                worker.GetAwaiter().GetResult();
            }
            _cancellationToken.ThrowIfCancellationRequested();
            return _finished = [.. _results];
        }

        /// <summary>After a failure on the calling thread: lets the workers stop after the packs they hold and waits for them.</summary>
        public void Abandon()
        {
            if (_finished is not null)
            {
                return;
            }
            Interlocked.Exchange(ref _next, _packs.Count);
            Task.WaitAll(_workers.Select(w => w.ContinueWith(static _ => { }, TaskScheduler.Default)).ToArray());
        }

        private void Work()
        {
            int i;
            while (!_cancellationToken.IsCancellationRequested && (i = Interlocked.Increment(ref _next)) < _packs.Count)
            {
                var hash = _packs[i].Hash;
                var result = _verifier.CheckPack(hash, _chunksByPack.GetValueOrDefault(hash) ?? []);
                _results[i] = result;
                if (result.Read)
                {
                    lock (_progressGate)
                    {
                        _bytes += result.Bytes;
                        _done++;
                        _verifier._progress?.Report(new VerifyProgress(_done, _packs.Count, _bytes));
                    }
                }
            }
        }
    }

    /// <summary>
    /// One pack: its trailer against the index, its SHA-256 over every byte, and each of its indexed chunks opened
    /// from the same read. A pack hashed ahead (<see cref="PackHashing"/>) is read only for its chunks.
    /// </summary>
    private PackCheck CheckPack(string hash, List<(ChunkId Id, ChunkLocation Location)> chunks)
    {
        var trailerProblems = new List<VerifyProblem>();
        var hashProblems = new List<VerifyProblem>();
        var chunkProblems = new List<VerifyProblem>();
        var name = $"pack {hash[..12]}";
        var path = Path.Combine(_vault.Directory, PackFormat.RelativePath(hash));
        var hashedAhead = _hashedAhead?.Take(hash);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            CompareTrailer(handle, hash, chunks, trailerProblems);
            using var sha = hashedAhead is null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            var length = RandomAccess.GetLength(handle);
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                long position = 0;
                foreach (var (id, location) in chunks)
                {
                    if (location.Offset < position || location.Offset + location.Length > length)
                    {
                        chunkProblems.Add(new VerifyProblem(name, location.Offset < position ? "the index has overlapping chunks" : "the pack is shorter than the index says"));
                        continue;
                    }
                    if (sha is not null)
                    {
                        HashRange(handle, sha, position, location.Offset, ref buffer);
                    }
                    if (buffer.Length < location.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(location.Length);
                    }
                    var sealedBlob = buffer.AsSpan(0, location.Length);
                    ReadExactly(handle, sealedBlob, location.Offset);
                    sha?.AppendData(sealedBlob);
                    position = location.Offset + location.Length;
                    try
                    {
                        _vault.Chunks.CheckOpens(id, location.Kind, sealedBlob, name);
                    }
                    catch (IntegrityException e)
                    {
                        chunkProblems.Add(new VerifyProblem(e.DamagedObject, TrimObject(e)));
                    }
                    catch (DupaException e) when (e.Code == ErrorCode.KeyRotated)
                    {
                        // A key epoch the vault's header names and this key lacks (a rotation since the key was
                        // given; one the vault never had is damage, above): this chunk is not verified, the others are.
                        chunkProblems.Add(new VerifyProblem($"chunk {id.Short} in {name}", $"cannot be opened: {e.Message}"));
                    }
                }
                if (sha is not null)
                {
                    HashRange(handle, sha, position, length, ref buffer);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            var actual = sha is not null ? Convert.ToHexStringLower(sha.GetHashAndReset()) : TakeAheadHash(hashedAhead!, name, hashProblems);
            if (actual is not null && !string.Equals(actual, hash, StringComparison.Ordinal))
            {
                hashProblems.Add(new VerifyProblem(name, "the content does not match its hash (the file was altered)"));
            }
            return new PackCheck(true, length, trailerProblems, hashProblems, chunkProblems);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            trailerProblems.Add(new VerifyProblem(name, "the pack file is missing"));
            chunkProblems.AddRange(chunks.Select(_ => new VerifyProblem(name, "the pack file is missing")));
            return new PackCheck(false, 0, trailerProblems, hashProblems, chunkProblems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            hashProblems.Add(new VerifyProblem(name, $"cannot be read: {e.Message}"));
            return new PackCheck(false, 0, trailerProblems, hashProblems, chunkProblems);
        }
    }

    /// <summary>The hash taken ahead, once it is done; null (with a problem added) if that read failed.</summary>
    private static string? TakeAheadHash(Task<AheadHash> hashedAhead, string name, List<VerifyProblem> hashProblems)
    {
        var ahead = hashedAhead.GetAwaiter().GetResult();
        if (ahead.Sha is null)
        {
            // A file missing then and present now was replaced meanwhile: as good as altered.
            hashProblems.Add(new VerifyProblem(name, ahead.ReadError is null ? "the content does not match its hash (the file was altered)" : $"cannot be read: {ahead.ReadError}"));
        }
        return ahead.Sha;
    }

    /// <summary>Hashes the bytes from <paramref name="from"/> to <paramref name="to"/> (what lies between chunks: header, trailer).</summary>
    private static long HashRange(SafeFileHandle handle, IncrementalHash sha, long from, long to, ref byte[] buffer)
    {
        while (from < to)
        {
            var span = buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - from));
            ReadExactly(handle, span, from);
            sha.AppendData(span);
            from += span.Length;
        }
        return from;
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        var read = 0;
        while (read < destination.Length)
        {
            var n = RandomAccess.Read(handle, destination[read..], offset + read);
            if (n == 0)
            {
                throw new IOException("the pack ended early (it shrank while being read)");
            }
            read += n;
        }
    }

    private sealed record PackCheck(bool Read, long Bytes, List<VerifyProblem> Trailer, List<VerifyProblem> Hash, List<VerifyProblem> Chunks);

    /// <summary>Every chunk of every kept version (live and in the trash) must be in the index.</summary>
    private List<VerifyProblem> CheckReferencedChunks(Dictionary<ChunkId, ChunkLocation> indexChunks, bool quick)
    {
        var problems = new List<VerifyProblem>();
        var state = _vault.State;
        var nodes = state.Nodes.Concat(state.Trash.SelectMany(t => t.Nodes));
        foreach (var node in nodes.Where(n => n.Type == NodeType.File))
        {
            for (var v = 0; v < node.Versions.Count; v++)
            {
                var version = node.Versions[v];
                var where = $"file {node.Path} version {v + 1}";
                if (version.Content.List is { } list && !indexChunks.ContainsKey(list))
                {
                    problems.Add(new VerifyProblem(where, $"its chunk list {list.Short} is missing"));
                    continue;
                }
                if (quick && version.Content.List is not null)
                {
                    continue;
                }
                IReadOnlyList<ChunkRef> chunks;
                try
                {
                    chunks = _vault.ResolveChunks(version.Content);
                }
                catch (IntegrityException e)
                {
                    problems.Add(new VerifyProblem(where, e.Message));
                    continue;
                }
                foreach (var chunk in chunks)
                {
                    if (!indexChunks.ContainsKey(chunk.Id))
                    {
                        problems.Add(new VerifyProblem(where, $"chunk {chunk.Id.Short} is missing"));
                    }
                }
            }
        }
        return problems;
    }

    private static string TrimObject(IntegrityException e)
    {
        var prefix = e.DamagedObject + ": ";
        return e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
    }
}
