using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;

namespace Dupa.Core.Vaults;

public sealed record GcProgress(string Phase, int Done, int Total);

/// <summary>What gc did (or, with a dry run, would do).</summary>
public sealed record GcResult(bool DryRun, int PacksBefore, int PacksDeleted, int PacksRepacked, int PacksWritten, int ChunksRemoved, int ChunksMoved,
    long BytesBefore, long BytesFreed, int StrayFilesDeleted);

/// <summary>
/// <c>dupa gc</c>: deletes chunks that no kept version refers to (docs/retention.md, Garbage collection). Packs
/// holding only such chunks are deleted; packs where they take up at least <c>maxUnused</c> of the space are
/// repacked: their live chunks are copied, still sealed and checked, into new packs. The one commit point is an
/// index transaction; a crash before it leaves new packs no one uses, after it old packs no one uses, and both
/// are removed by the next gc. It needs the vault's write lock for its whole run, so no put can race it.
/// </summary>
public sealed class GarbageCollector
{
    public const double DefaultMaxUnused = 0.2;

    private readonly Vault _vault;
    private readonly IProgress<GcProgress>? _progress;

    public GarbageCollector(Vault vault, IProgress<GcProgress>? progress = null)
    {
        if (!vault.IsWritable)
        {
            throw new ArgumentException("The vault must be open for writing.", nameof(vault));
        }
        _vault = vault;
        _progress = progress;
    }

    public GcResult Run(bool dryRun, double maxUnused = DefaultMaxUnused, CancellationToken cancellationToken = default)
    {
        if (maxUnused is < 0 or > 1)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the unused share that triggers a repack must be between 0 and 1");
        }
        _vault.Chunks.Flush();
        var referenced = ReferencedChunks(cancellationToken);
        var rows = _vault.Index.Chunks();
        var byPack = rows.GroupBy(r => r.Location.Pack, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var indexed = rows.Select(r => r.Id).ToHashSet();
        foreach (var id in referenced.Where(id => !indexed.Contains(id)).Take(1))
        {
            // Never delete anything while the index does not account for everything the vault needs.
            throw new IntegrityException($"chunk {id.Short}", "a kept version needs this chunk and the index does not have it; run 'dupa verify' and 'dupa index rebuild' before gc");
        }

        var packs = _vault.Index.Packs();
        var delete = new List<string>();
        var repack = new List<string>();
        long bytesFreed = 0;
        var chunksRemoved = 0;
        foreach (var (hash, size) in packs)
        {
            var chunks = byPack.GetValueOrDefault(hash) ?? [];
            var live = chunks.Where(c => referenced.Contains(c.Id)).ToList();
            var liveBytes = live.Sum(c => (long)c.Location.Length);
            var dead = chunks.Count - live.Count;
            if (live.Count == 0)
            {
                delete.Add(hash);
                bytesFreed += size;
                chunksRemoved += dead;
            }
            else if (dead > 0 && size > 0 && (double)(size - liveBytes) / size >= maxUnused)
            {
                repack.Add(hash);
                bytesFreed += size - liveBytes;
                chunksRemoved += dead;
            }
        }
        var strays = StrayPackFiles(packs.Select(p => p.Hash).ToHashSet(StringComparer.Ordinal));
        var strayBytes = strays.Sum(s => s.Size);
        var bytesBefore = packs.Sum(p => p.Size) + strayBytes;
        var moved = repack.SelectMany(h => byPack[h]).Where(c => referenced.Contains(c.Id)).ToList();
        if (dryRun)
        {
            return new GcResult(true, packs.Count, delete.Count, repack.Count, 0, chunksRemoved, moved.Count, bytesBefore, bytesFreed + strayBytes, strays.Count);
        }

        var written = CopyLiveChunks(moved, cancellationToken);
        // A gc stopped before its commit leaves the packs it wrote as strays, and a pack's name is the hash of its
        // bytes: this run, copying the same chunks, may write one of them again under the same name. That file is
        // now needed, not stray.
        var writtenHashes = written.Select(p => p.Hash).ToHashSet(StringComparer.Ordinal);
        strays = [.. strays.Where(s => !writtenHashes.Contains(Path.GetFileNameWithoutExtension(s.Path)))];
        strayBytes = strays.Sum(s => s.Size);
        // Exact, not estimated: new packs carry their own headers and trailers.
        var removed = delete.Concat(repack).ToHashSet(StringComparer.Ordinal);
        bytesFreed = strayBytes + packs.Where(p => removed.Contains(p.Hash)).Sum(p => p.Size) - written.Sum(p => p.Size);
        // The commit point: from here the old packs are unused.
        _vault.Index.ReplacePacks(written, removed);
        _vault.Chunks.ClosePacks();
        foreach (var hash in removed)
        {
            DurableFile.TryDelete(Path.Combine(_vault.Directory, PackFormat.RelativePath(hash)));
        }
        foreach (var stray in strays)
        {
            DurableFile.TryDelete(stray.Path);
        }
        foreach (var directory in removed.Select(h => Path.GetDirectoryName(Path.Combine(_vault.Directory, PackFormat.RelativePath(h)))!).Distinct())
        {
            DurableFile.SyncDirectory(directory);
        }
        return new GcResult(false, packs.Count, delete.Count, repack.Count, written.Count, chunksRemoved, moved.Count, bytesBefore, bytesFreed, strays.Count);
    }

    /// <summary>Every chunk a kept version needs (live and in the trash), chunk-list blobs included.</summary>
    private HashSet<ChunkId> ReferencedChunks(CancellationToken cancellationToken)
    {
        var referenced = new HashSet<ChunkId>();
        var state = _vault.State;
        var files = state.Nodes.Concat(state.Trash.SelectMany(t => t.Nodes)).Where(n => n.Type == NodeType.File).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var version in files[i].Versions)
            {
                if (version.Content.List is { } list)
                {
                    referenced.Add(list);
                }
                // A damaged chunk list throws: gc stops rather than guess what it referred to.
                foreach (var chunk in _vault.ResolveChunks(version.Content))
                {
                    referenced.Add(chunk.Id);
                }
            }
            if (i % 1024 == 0)
            {
                _progress?.Report(new GcProgress("scanning", i, files.Count));
            }
        }
        return referenced;
    }

    /// <summary>Copies the chunks into new durable packs; none of them is in the index yet.</summary>
    private List<PackInfo> CopyLiveChunks(List<(ChunkId Id, ChunkLocation Location)> chunks, CancellationToken cancellationToken)
    {
        var written = new List<PackInfo>();
        PackWriter? writer = null;
        try
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (id, location) = chunks[i];
                writer ??= new PackWriter(_vault.Directory);
                writer.Add(id, location.Kind, _vault.Chunks.ReadSealed(id, location));
                if (writer.Length >= _vault.Header.PackSize)
                {
                    written.Add(writer.Finish());
                    writer.Dispose();
                    writer = null;
                }
                _progress?.Report(new GcProgress("repacking", i + 1, chunks.Count));
            }
            if (writer is not null)
            {
                written.Add(writer.Finish());
            }
            // Should anything fail, packs written so far are not in the index: strays the next gc removes.
            return written;
        }
        finally
        {
            writer?.Dispose();
        }
    }

    /// <summary>Pack files the index does not know: left by an interrupted put or gc, never needed (the index check above holds).</summary>
    private List<(string Path, long Size)> StrayPackFiles(HashSet<string> indexed) =>
        [.. Directory.EnumerateFiles(Path.Combine(_vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories)
            .Where(f => Path.GetFileNameWithoutExtension(f) is var name && name.Length == 64 && name.All(char.IsAsciiHexDigitLower) && !indexed.Contains(name))
            .Select(f => (f, new FileInfo(f).Length))];
}
