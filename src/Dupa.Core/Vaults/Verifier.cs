using System.Buffers;
using System.Security.Cryptography;
using Dupa.Core.Errors;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;

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

    /// <summary>Hashes every pack and authenticates every chunk in it.</summary>
    private (int Packs, long Bytes) CheckPackContents(Dictionary<ChunkId, ChunkLocation> indexChunks, CancellationToken cancellationToken)
    {
        var packs = _vault.Index.Packs();
        long bytes = 0;
        var done = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            foreach (var (hash, _) in packs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = Path.Combine(_vault.Directory, PackFormat.RelativePath(hash));
                if (!File.Exists(path))
                {
                    continue;
                }
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                {
                    var digest = SHA256.HashData(stream);
                    bytes += stream.Length;
                    if (!string.Equals(Convert.ToHexStringLower(digest), hash, StringComparison.Ordinal))
                    {
                        _problems.Add(new VerifyProblem($"pack {hash[..12]}", "the content does not match its hash (the file was altered)"));
                    }
                }
                done++;
                _progress?.Report(new VerifyProgress(done, packs.Count, bytes));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        foreach (var (id, location) in indexChunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var chunk = _vault.Chunks.Read(id, location.Kind);
            }
            catch (IntegrityException e)
            {
                _problems.Add(new VerifyProblem(e.DamagedObject, TrimObject(e)));
            }
        }
        return (done, bytes);
    }

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
