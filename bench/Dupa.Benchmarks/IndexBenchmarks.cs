using BenchmarkDotNet.Attributes;
using Dupa.Core.Index;
using Dupa.Core.Storage;

namespace Dupa.Benchmarks;

/// <summary>
/// The SQLite index's hot queries on an index of 100,000 chunks in 100 packs (about 100 GiB of data at 1 MiB
/// chunks): the lookup put makes for every chunk it cuts (hit: the chunk is stored; miss: it is new), the one
/// get makes to find a chunk, and the insertion of one pack's 1,000 rows.
/// </summary>
[MemoryDiagnoser]
public class IndexBenchmarks
{
    private const int Packs = 100;
    private const int PerPack = 1000;
    private const int Lookups = 1000;
    private string _directory = "";
    private VaultIndex _index = null!;
    private ChunkId[] _hits = [];
    private ChunkId[] _misses = [];
    private ulong _nextPack = Packs;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("dupa-bench-index-").FullName;
        _index = VaultIndex.Open(_directory, readOnly: false);
        for (ulong p = 0; p < Packs; p++)
        {
            _index.AddPack(Pack(p));
        }
        // Spread over every pack, in an order unrelated to insertion.
        _hits = [.. Enumerable.Range(0, Lookups).Select(i => Id((ulong)(i * 7919 % Packs), (ulong)(i * 104729 % PerPack)))];
        _misses = [.. Enumerable.Range(0, Lookups).Select(i => Id(1_000_000 + (ulong)i, 0))];
    }

    private static ChunkId Id(ulong pack, ulong i) => new(pack * 0x9E3779B97F4A7C15UL ^ i, i * 0xBF58476D1CE4E5B9UL, pack, i);

    private static PackInfo Pack(ulong p)
    {
        var entries = new PackEntry[PerPack];
        for (var i = 0; i < PerPack; i++)
        {
            entries[i] = new PackEntry(Id(p, (ulong)i), 12 + ((long)i * 1_048_604), 1_048_604, BlobKind.Data);
        }
        return new PackInfo(Convert.ToHexStringLower(BitConverter.GetBytes(p)).PadLeft(64, '0'), (long)PerPack * 1_048_604, entries);
    }

    [Benchmark(Description = "index lookup, chunk stored (per lookup)", OperationsPerInvoke = Lookups)]
    public int LookupHit()
    {
        var found = 0;
        foreach (var id in _hits)
        {
            found += _index.TryGetChunk(id, out _) ? 1 : 0;
        }
        return found;
    }

    [Benchmark(Description = "index lookup, new chunk (per lookup)", OperationsPerInvoke = Lookups)]
    public int LookupMiss()
    {
        var found = 0;
        foreach (var id in _misses)
        {
            found += _index.Contains(id) ? 1 : 0;
        }
        return found;
    }

    [Benchmark(Description = "index a pack of 1,000 chunks (one transaction)")]
    public void AddPack() => _index.AddPack(Pack(_nextPack++));

    [GlobalCleanup]
    public void Cleanup()
    {
        _index.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
