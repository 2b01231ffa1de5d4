using System.Text;
using Dupa.Core.Compression;
using Dupa.Testing;

namespace Dupa.Core.Tests.Compression;

public sealed class ZstdTests
{
    // `printf 'hello hello hello hello hello hello' | zstd -19 -c | xxd -i` with Debian's zstd 1.5.4.
    private static readonly byte[] ReferenceFrame =
    [
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x65, 0x00, 0x00, 0x30, 0x68, 0x65,
        0x6c, 0x6c, 0x6f, 0x20, 0x01, 0x00, 0xb9, 0x4b, 0x11, 0x2b, 0xe1, 0x68, 0xe7,
    ];

    [Fact]
    public void Decompress_FrameFromTheZstdCli_GivesTheText()
    {
        var output = new byte[100];
        var n = Zstd.Decompress(ReferenceFrame, output);
        Assert.Equal("hello hello hello hello hello hello", Encoding.ASCII.GetString(output, 0, n));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(100_000, 1)]
    [InlineData(100_000, 3)]
    [InlineData(1_000_000, 3)]
    public void CompressThenDecompress_RandomAndCompressible_RoundTrips(int length, int level)
    {
        var random = new SeededRandom((ulong)length);
        foreach (var compressible in new[] { false, true })
        {
            var data = random.NextBytes(length);
            if (compressible)
            {
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = (byte)('a' + (data[i] & 3));
                }
            }
            var compressed = new byte[Zstd.CompressBound(length)];
            var size = Zstd.Compress(data, compressed, level);
            if (compressible && length > 1000)
            {
                Assert.True(size < length / 2, $"{length} compressible bytes became {size}");
            }
            var output = new byte[length];
            Assert.Equal(length, Zstd.Decompress(compressed.AsSpan(0, size), output));
            Assert.Equal(data, output);
        }
    }

    [Fact]
    public void Decompress_CorruptInput_Throws()
    {
        var corrupt = ReferenceFrame.ToArray();
        corrupt[0] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(corrupt, new byte[100]));
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(ReferenceFrame.AsSpan(0, 10), new byte[100]));
    }

    [Fact]
    public void Decompress_DestinationTooSmall_Throws()
    {
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(ReferenceFrame, new byte[10]));
    }
}
