using System.Net;
using System.Security.Cryptography;
using Dupa.Testing;

namespace Dupa.Node.Tests;

[Collection(nameof(LoadTests))]
public sealed class LargeStreamTests
{
    private const long Size = 2L << 30;

    /// <summary>2 GiB up and down through real Kestrel and TLS: bit-identical, and the heap never holds more than a few chunks.</summary>
    [Fact]
    public async Task TwoGiB_UploadAndDownload_AreBitIdentical_WithFlatMemory()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Client(await node.LoginAsync());
        var vault = await TestNode.CreateVaultAsync(client);
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);
                await Task.Delay(50);
            }
        });

        byte[] expected;
        var sent = new GeneratedStream(Size, seed: 2026);
        using (var content = new StreamContent(sent, 1 << 16))
        {
            content.Headers.ContentLength = Size;
            var put = await client.PutAsync($"/api/v1/vaults/{vault}/files/big.bin", content);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            expected = sent.Hash();
        }
        using (var response = await client.GetAsync($"/api/v1/vaults/{vault}/files/big.bin", HttpCompletionOption.ResponseHeadersRead))
        await using (var body = await response.Content.ReadAsStreamAsync())
        {
            Assert.Equal(Size, response.Content.Headers.ContentLength);
            var received = await SHA256.HashDataAsync(body);
            Assert.Equal(expected, received);
        }
        await sampling.CancelAsync();
        await sampler;
        Assert.True(peak < 256L << 20, $"the managed heap grew by {peak >> 20} MiB while moving {Size >> 30} GiB");
    }

    /// <summary>Seeded pseudo-random bytes produced as they are read, hashed on the way: nothing held in memory.</summary>
    private sealed class GeneratedStream(long length, ulong seed) : Stream
    {
        private readonly SeededRandom _random = new(seed);
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;
        private byte[]? _final;

        /// <summary>The SHA-256 of everything read, once the end was reached.</summary>
        public byte[] Hash() => _final ?? throw new InvalidOperationException("the stream was not read to its end");

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            _random.NextBytes(buffer[..n]);
            _hash.AppendData(buffer[..n]);
            _position += n;
            if (_position == length)
            {
                _final ??= _hash.GetHashAndReset();
            }
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
