using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Dupa.Core.Crypto;
using Dupa.Core.Index;
using Dupa.Core.Storage;

namespace Dupa.Benchmarks;

/// <summary>
/// The write path after chunking, as put runs it: 32 chunks of 1 MiB sealed, appended to a pack, the pack made
/// durable (fsync, rename, directory fsync) and recorded in the SQLite index, on the local disk. Subtracting
/// EngineBenchmarks' seal time leaves the cost of pack writing and the index commit. The packs written are
/// deleted after each iteration so that the disk does not fill.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const int Chunks = 32;
    private const int ChunkSize = 1024 * 1024;
    private string _directory = "";
    private VaultIndex _index = null!;
    private ChunkStore _store = null!;
    private byte[][] _chunks = [];
    private ulong _round;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("dupa-bench-store-").FullName;
        _index = VaultIndex.Open(_directory, readOnly: false);
        var keys = new KeyRing(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(16));
        _store = new ChunkStore(_directory, _index, new ChunkCodec(keys), packSize: 64L << 20);
        _chunks = [.. Enumerable.Range(0, Chunks).Select(_ => RandomNumberGenerator.GetBytes(ChunkSize))];
    }

    [Benchmark(Description = "store 32 × 1 MiB chunks: seal, pack write, fsync, index commit")]
    public int StoreChunks()
    {
        _round++;
        for (var i = 0; i < Chunks; i++)
        {
            // IDs need not match the content here: sealing derives its key from the ID, whatever it is.
            _store.Add(new ChunkId(_round, (ulong)i, 0x5EED, 0xB1), BlobKind.Data, _chunks[i]);
        }
        _store.Flush();
        _store.MarkCommitted();
        return _store.ChunksWritten;
    }

    [IterationCleanup]
    public void DeletePacks()
    {
        foreach (var pack in Directory.EnumerateFiles(Path.Combine(_directory, "packs"), "*", SearchOption.AllDirectories))
        {
            File.Delete(pack);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _index.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
