using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Dupa.Core.Chunking;
using Dupa.Core.Crypto;
using Dupa.Core.Storage;

namespace Dupa.Benchmarks;

/// <summary>
/// The engine's hot paths on 64 MiB of random data, one core: cutting, chunk IDs, sealing and opening.
/// Throughput is the data size over the mean time.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int Size = 64 * 1024 * 1024;
    private byte[] _data = [];
    private FastCdc _cdc = null!;
    private ChunkCodec _codec = null!;
    private KeyRing _keys = null!;
    private byte[] _chunk = [];
    private byte[] _sealed = [];
    private byte[] _opened = [];
    private int _sealedLength;
    private ChunkId _chunkId;

    [GlobalSetup]
    public void Setup()
    {
        _data = RandomNumberGenerator.GetBytes(Size);
        _keys = new KeyRing(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(16));
        _cdc = new FastCdc(ChunkerParameters.Default, GearTable.Derive(_keys.ChunkerSeed));
        _codec = new ChunkCodec(_keys);
        _chunk = _data[..(1024 * 1024)];
        _chunkId = _codec.ComputeId(_chunk);
        _sealed = new byte[ChunkCodec.MaxSealedSize(_chunk.Length)];
        _opened = new byte[_chunk.Length];
        _sealedLength = Seal();
    }

    [Benchmark(Description = "FastCDC cut, 64 MiB")]
    public int Chunker()
    {
        var count = 0;
        foreach (var _ in FastCdc.Split(_data, _cdc))
        {
            count++;
        }
        return count;
    }

    [Benchmark(Description = "chunk ID (HMAC-SHA-256), 64 MiB")]
    public ChunkId ChunkIds()
    {
        ChunkId last = default;
        for (var offset = 0; offset < Size; offset += 1024 * 1024)
        {
            last = _codec.ComputeId(_data.AsSpan(offset, 1024 * 1024));
        }
        return last;
    }

    /// <summary>Sealing is in place: the copy into the buffer (a memcpy of 1 MiB) is part of what is measured.</summary>
    [Benchmark(Description = "seal 1 MiB incompressible chunk")]
    public int Seal()
    {
        _chunk.CopyTo(_sealed.AsSpan(ChunkCodec.PlaintextOffset));
        return _codec.Seal(_chunkId, BlobKind.Data, _sealed, _chunk.Length);
    }

    [Benchmark(Description = "open 1 MiB chunk")]
    public int Open() => _codec.Open(_chunkId, BlobKind.Data, _sealed.AsSpan(0, _sealedLength), _opened, "bench");
}
