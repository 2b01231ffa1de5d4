using System.Diagnostics;
using System.Security.Cryptography;
using Dupa.Core.Chunking;

namespace Dupa.Corpus;

/// <summary>
/// The machine's single-core ceilings for the steps of a put: cutting (FastCDC), hashing (SHA-256 and the
/// HMAC-SHA-256 of chunk IDs) and sealing (AES-256-GCM), each on 1 MiB buffers of random data for about a
/// second. Printed as tab-separated "name MiB/s" lines for the report.
/// </summary>
internal static class Ceilings
{
    private const int BufferSize = 1 << 20;

    public static void Run(TextWriter output)
    {
        var data = RandomNumberGenerator.GetBytes(64 * BufferSize);
        var key = RandomNumberGenerator.GetBytes(32);
        var hash = new byte[32];
        output.WriteLine($"sha256\t{Measure(data, chunk => SHA256.HashData(chunk, hash)):F0}");
        output.WriteLine($"hmac-sha256\t{Measure(data, chunk => HMACSHA256.HashData(key, chunk, hash)):F0}");
        using var aes = new AesGcm(key, 16);
        var nonce = new byte[12];
        var tag = new byte[16];
        var sealedChunk = new byte[BufferSize];
        output.WriteLine($"aes-256-gcm\t{Measure(data, chunk => aes.Encrypt(nonce, chunk, sealedChunk, tag)):F0}");
        var cdc = new FastCdc(ChunkerParameters.Default, GearTable.Derive(key));
        // The chunker runs over the whole 64 MiB at once: on 1 MiB buffers it would skip each chunk's minimum size.
        output.WriteLine($"fastcdc\t{Measure(data, chunk =>
        {
            var rest = chunk;
            while (!rest.IsEmpty)
            {
                rest = rest[cdc.FindBoundary(rest)..];
            }
        }, data.Length):F0}");
    }

    private delegate void Step(ReadOnlySpan<byte> chunk);

    /// <summary>MiB/s over the best of three passes of about a third of a second each, after a warm-up pass.</summary>
    private static double Measure(byte[] data, Step step, int blockSize = BufferSize)
    {
        var best = 0.0;
        for (var pass = 0; pass < 4; pass++)
        {
            var stopwatch = Stopwatch.StartNew();
            long bytes = 0;
            while (stopwatch.Elapsed.TotalSeconds < 0.35)
            {
                for (var offset = 0; offset < data.Length; offset += blockSize)
                {
                    step(data.AsSpan(offset, blockSize));
                }
                bytes += data.Length;
            }
            var rate = bytes / (double)BufferSize / stopwatch.Elapsed.TotalSeconds;
            if (pass > 0)
            {
                best = Math.Max(best, rate);
            }
        }
        return best;
    }
}
