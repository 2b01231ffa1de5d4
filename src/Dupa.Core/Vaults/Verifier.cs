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
public sealed class Verifier
{
    private readonly Vault _vault;
    private readonly IProgress<VerifyProgress>? _progress;
    private readonly List<VerifyProblem> _problems = [];
    private readonly List<string> _notes = [];

    public Verifier(Vault vault, IProgress<VerifyProgress>? progress = null)
    {
        _vault = vault;
        _progress = progress;
    }

    public VerifyReport Run(bool quick, CancellationToken cancellationToken = default)
    {
        CheckLogs();
        CheckIndexStructure();
        var indexChunks = CheckIndexAgainstPacks();
        var (packs, bytes) = quick ? (0, 0L) : CheckPackContents(indexChunks, cancellationToken);
        CheckReferencedChunks(indexChunks, quick);
        return new VerifyReport(_problems, _notes, _vault.Entries.Count, _vault.Index.Packs().Count, indexChunks.Count, bytes);
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
        foreach (var log in _vault.Logs.Where(l => l.Entries.Count > 0))
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

    /// <summary>Each indexed pack must exist and its trailer must say exactly what the index says.</summary>
    private Dictionary<ChunkId, ChunkLocation> CheckIndexAgainstPacks()
    {
        var indexChunks = new Dictionary<ChunkId, ChunkLocation>();
        List<(ChunkId Id, ChunkLocation Location)> rows;
        try
        {
            rows = [.. _vault.Index.Chunks()];
        }
        catch (IntegrityException e)
        {
            _problems.Add(new VerifyProblem("index", TrimObject(e)));
            return indexChunks;
        }
        foreach (var (id, location) in rows)
        {
            indexChunks[id] = location;
        }
        var byPack = rows.GroupBy(r => r.Location.Pack).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var indexedPacks = _vault.Index.Packs().Select(p => p.Hash).ToHashSet(StringComparer.Ordinal);
        foreach (var pack in indexedPacks)
        {
            var path = Path.Combine(_vault.Directory, PackFormat.RelativePath(pack));
            if (!File.Exists(path))
            {
                _problems.Add(new VerifyProblem($"pack {pack[..12]}", "the pack file is missing"));
                continue;
            }
            try
            {
                var trailer = PackFormat.ReadTrailer(path, pack).Select(e => (e.Id, e.Offset, e.Length, e.Kind)).ToHashSet();
                var indexed = byPack.GetValueOrDefault(pack) ?? [];
                if (indexed.Count != trailer.Count || indexed.Any(r => !trailer.Contains((r.Id, r.Location.Offset, r.Location.Length, r.Location.Kind))))
                {
                    _problems.Add(new VerifyProblem("index", $"the index disagrees with pack {pack[..12]}'s trailer (run 'dupa index rebuild')"));
                }
            }
            catch (IntegrityException e)
            {
                _problems.Add(new VerifyProblem(e.DamagedObject, TrimObject(e)));
            }
        }
        var packsDirectory = Path.Combine(_vault.Directory, "packs");
        foreach (var file in Directory.EnumerateFiles(packsDirectory, "*.pack", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.Length != 64)
            {
                _problems.Add(new VerifyProblem($"file {Path.GetRelativePath(_vault.Directory, file)}", "a stray file among the packs"));
            }
            else if (!indexedPacks.Contains(name))
            {
                _notes.Add($"pack {name[..Math.Min(12, name.Length)]}: not in the index (left by an interrupted write; 'dupa index rebuild' takes it in)");
            }
        }
        return indexChunks;
    }

    /// <summary>
    /// Hashes every pack and authenticates every chunk in it, reading each pack once, front to back, one pack per
    /// core at a time. Reading the packs twice (once to hash them, once chunk by chunk) on one core was most of the
    /// time of a verify. A worker holds one chunk at a time, not a whole pack.
    /// </summary>
    private (int Packs, long Bytes) CheckPackContents(Dictionary<ChunkId, ChunkLocation> indexChunks, CancellationToken cancellationToken)
    {
        var packs = _vault.Index.Packs();
        var chunksByPack = indexChunks.GroupBy(c => c.Value.Pack, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(c => (c.Key, c.Value)).OrderBy(c => c.Value.Offset).ToList(), StringComparer.Ordinal);
        var results = new PackCheck[packs.Count];
        long bytes = 0;
        var done = 0;
        var progressGate = new Lock();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        Parallel.For(0, packs.Count, options, i =>
        {
            var hash = packs[i].Hash;
            results[i] = CheckPack(hash, chunksByPack.GetValueOrDefault(hash) ?? []);
            if (results[i].Read)
            {
                lock (progressGate)
                {
                    bytes += results[i].Bytes;
                    done++;
                    _progress?.Report(new VerifyProgress(done, packs.Count, bytes));
                }
            }
        });
        // In pack order, whichever worker finished first: every pack's hash, then every chunk, as before.
        _problems.AddRange(results.SelectMany(r => r.Hash));
        _problems.AddRange(results.SelectMany(r => r.Chunks));
        return (done, bytes);
    }

    /// <summary>One pack: its SHA-256 over every byte, and each of its indexed chunks opened from the same read.</summary>
    private PackCheck CheckPack(string hash, List<(ChunkId Id, ChunkLocation Location)> chunks)
    {
        var hashProblems = new List<VerifyProblem>();
        var chunkProblems = new List<VerifyProblem>();
        var name = $"pack {hash[..12]}";
        var path = Path.Combine(_vault.Directory, PackFormat.RelativePath(hash));
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
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
                    position = HashRange(handle, sha, position, location.Offset, ref buffer);
                    if (buffer.Length < location.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(location.Length);
                    }
                    var sealedBlob = buffer.AsSpan(0, location.Length);
                    ReadExactly(handle, sealedBlob, location.Offset);
                    sha.AppendData(sealedBlob);
                    position += location.Length;
                    try
                    {
                        _vault.Chunks.CheckOpens(id, location.Kind, sealedBlob, name);
                    }
                    catch (IntegrityException e)
                    {
                        chunkProblems.Add(new VerifyProblem(e.DamagedObject, TrimObject(e)));
                    }
                }
                position = HashRange(handle, sha, position, length, ref buffer);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            if (!string.Equals(Convert.ToHexStringLower(sha.GetHashAndReset()), hash, StringComparison.Ordinal))
            {
                hashProblems.Add(new VerifyProblem(name, "the content does not match its hash (the file was altered)"));
            }
            return new PackCheck(true, length, hashProblems, chunkProblems);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // CheckIndexAgainstPacks reported the pack; each of its chunks is unreadable too.
            chunkProblems.AddRange(chunks.Select(_ => new VerifyProblem(name, "the pack file is missing")));
            return new PackCheck(false, 0, hashProblems, chunkProblems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            hashProblems.Add(new VerifyProblem(name, $"cannot be read: {e.Message}"));
            return new PackCheck(false, 0, hashProblems, chunkProblems);
        }
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

    private sealed record PackCheck(bool Read, long Bytes, List<VerifyProblem> Hash, List<VerifyProblem> Chunks);

    /// <summary>Every chunk of every kept version (live and in the trash) must be in the index.</summary>
    private void CheckReferencedChunks(Dictionary<ChunkId, ChunkLocation> indexChunks, bool quick)
    {
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
                    _problems.Add(new VerifyProblem(where, $"its chunk list {list.Short} is missing"));
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
                    _problems.Add(new VerifyProblem(where, e.Message));
                    continue;
                }
                foreach (var chunk in chunks)
                {
                    if (!indexChunks.ContainsKey(ChunkId.FromBase64(chunk.Id)))
                    {
                        _problems.Add(new VerifyProblem(where, $"chunk {ChunkId.FromBase64(chunk.Id).Short} is missing"));
                    }
                }
            }
        }
    }

    private static string TrimObject(IntegrityException e)
    {
        var prefix = e.DamagedObject + ": ";
        return e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
    }
}
