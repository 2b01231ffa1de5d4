using System.Numerics;
using Dupa.Core.Chunking;
using Dupa.Testing;
using Xunit.Sdk;

namespace Dupa.Core.Tests.Chunking;

/// <summary>Shared pieces of the chunking tests: the vector seed, random chunkers, a plain reference of the cut rule.</summary>
internal static class ChunkingTestSupport
{
    /// <summary>The seed key of the test vectors in docs/chunking.md: bytes 0x00, 0x01, …, 0x1f.</summary>
    public static byte[] VectorSeed { get; } = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    /// <summary>Runs <paramref name="trials"/> trials, each on its own generator; a failure names the seed that reproduces it.</summary>
    public static void ForEachSeed(ulong firstSeed, int trials, Action<SeededRandom> trial)
    {
        for (var i = 0; i < trials; i++)
        {
            var random = new SeededRandom(firstSeed + (ulong)i);
            try
            {
                trial(random);
            }
            catch (Exception e)
            {
                throw new XunitException($"seed {random.Seed} (trial {i}) failed: {e.Message}", e);
            }
        }
    }

    public static async Task ForEachSeedAsync(ulong firstSeed, int trials, Func<SeededRandom, Task> trial)
    {
        for (var i = 0; i < trials; i++)
        {
            var random = new SeededRandom(firstSeed + (ulong)i);
            try
            {
                await trial(random);
            }
            catch (Exception e)
            {
                throw new XunitException($"seed {random.Seed} (trial {i}) failed: {e.Message}", e);
            }
        }
    }

    /// <summary>Small valid parameters, so that property tests see many chunks in little data: avg 1–8 KiB, min from 64.</summary>
    public static ChunkerParameters RandomParameters(SeededRandom random)
    {
        var average = 1 << random.Next(10, 14);
        var min = random.Next(64, Math.Min(1024, average / 2) + 1);
        var max = random.Next(average + 1, average * 8 + 1);
        return new ChunkerParameters(min, average, max);
    }

    public static FastCdc RandomChunker(SeededRandom random) =>
        new(RandomParameters(random), GearTable.Derive(random.NextBytes(GearTable.SeedSize)));

    /// <summary>
    /// The cut rule exactly as docs/chunking.md states it, one byte at a time with no tricks: the optimized
    /// <see cref="FastCdc.FindBoundary"/> must agree with it everywhere.
    /// </summary>
    public static int ReferenceBoundary(ReadOnlySpan<byte> d, ChunkerParameters p, GearTable gear)
    {
        var n = d.Length;
        if (n <= p.MinSize)
        {
            return n;
        }
        var b = BitOperations.Log2((uint)p.AvgSize);
        var maskS = ((1UL << (b + 2)) - 1) << (64 - (b + 2));
        var maskL = ((1UL << (b - 2)) - 1) << (64 - (b - 2));
        var barrier = Math.Min(n, p.MaxSize);
        var normal = Math.Min(p.AvgSize, barrier);
        ulong fp = 0;
        for (var i = p.MinSize; i < barrier; i++)
        {
            fp = unchecked((fp << 1) + gear[d[i]]);
            if ((fp & (i < normal ? maskS : maskL)) == 0)
            {
                return i + 1;
            }
        }
        return barrier;
    }

    public static List<(int Offset, int Length)> ReferenceSplit(ReadOnlySpan<byte> data, ChunkerParameters p, GearTable gear)
    {
        var chunks = new List<(int Offset, int Length)>();
        for (var offset = 0; offset < data.Length;)
        {
            var length = ReferenceBoundary(data[offset..], p, gear);
            chunks.Add((offset, length));
            offset += length;
        }
        return chunks;
    }

    /// <summary>Where each chunk ends: the cut points, the input's end included.</summary>
    public static List<int> CutPoints(IEnumerable<(int Offset, int Length)> chunks) => chunks.Select(c => c.Offset + c.Length).ToList();

    /// <summary>Random bytes over a small alphabet: long repeats, so the low-entropy paths get exercised too.</summary>
    public static byte[] LowEntropyBytes(SeededRandom random, int length, int alphabet)
    {
        var bytes = random.NextBytes(length);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(bytes[i] % alphabet);
        }
        return bytes;
    }
}

/// <summary>
/// A stream that returns a random, often tiny, number of bytes per read (1 to <paramref name="largestRead"/>),
/// completing each read later on the thread pool when <paramref name="asynchronous"/>, as a socket would.
/// </summary>
internal sealed class TricklingStream(byte[] data, SeededRandom random, int largestRead, bool asynchronous = false) : MemoryStream(data, writable: false)
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (asynchronous)
        {
            await Task.Yield();
        }
        return await base.ReadAsync(buffer[..Math.Min(buffer.Length, random.Next(1, largestRead + 1))], cancellationToken);
    }

    public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, random.Next(1, largestRead + 1))]);
}
