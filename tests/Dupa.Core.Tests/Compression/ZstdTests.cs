using System.Text;
using Dupa.Core.Compression;
using Dupa.Testing;

namespace Dupa.Core.Tests.Compression;

public sealed class ZstdTests
{
    private const string ReferenceText = "hello hello hello hello hello hello";

    // `printf 'hello hello hello hello hello hello' | zstd -19 -c | xxd -i` with Debian's zstd 1.5.4. Read from a
    // pipe, the CLI does not know the size, so the header has no content size; it has a window descriptor, one
    // compressed block and a 4-byte checksum. Also in docs/native.md.
    private static readonly byte[] ReferenceFrame =
    [
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x65, 0x00, 0x00, 0x30, 0x68, 0x65,
        0x6c, 0x6c, 0x6f, 0x20, 0x01, 0x00, 0xb9, 0x4b, 0x11, 0x2b, 0xe1, 0x68, 0xe7,
    ];

    [Fact]
    public void Decompress_FrameFromTheZstdCli_GivesTheText()
    {
        var output = new byte[100];

        var written = Zstd.Decompress(ReferenceFrame, output);

        Assert.Equal(ReferenceText, Encoding.ASCII.GetString(output, 0, written));
    }

    [Fact]
    public void Decompress_DestinationExactlyTheContentSize_Succeeds()
    {
        var output = new byte[ReferenceText.Length];

        Assert.Equal(ReferenceText.Length, Zstd.Decompress(ReferenceFrame, output));
        Assert.Equal(ReferenceText, Encoding.ASCII.GetString(output));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 3)]
    [InlineData(1, 1)]
    [InlineData(1, 3)]
    [InlineData(100_000, 1)]
    [InlineData(100_000, 3)]
    [InlineData(1_000_000, 3)]
    public void CompressThenDecompress_RandomData_RoundTrips(int length, int level)
    {
        var data = new SeededRandom(0x5EED_0000 + (ulong)length).NextBytes(length);

        AssertRoundTrips(data, level);
    }

    [Theory]
    [InlineData(1_000, 1)]
    [InlineData(100_000, 1)]
    [InlineData(100_000, 3)]
    [InlineData(1_000_000, 3)]
    public void CompressThenDecompress_CompressibleData_RoundTripsAndShrinks(int length, int level)
    {
        // Four letters at random: about 2 bits of entropy per byte, so well under half the size.
        var data = new SeededRandom(0xC0DE_0000 + (ulong)length).NextBytes(length);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)('a' + (data[i] & 3));
        }

        var size = AssertRoundTrips(data, level);

        Assert.True(size < length / 2, $"{length} compressible bytes became {size}");
    }

    [Fact]
    public void Compress_IncompressibleDataIntoCompressBound_FitsAndGrowsOnlyByTheFrameOverhead()
    {
        const int Length = 128 * 1024;
        var data = new SeededRandom(42).NextBytes(Length);
        var bound = Zstd.CompressBound(Length);
        var compressed = new byte[bound];

        var size = Zstd.Compress(data, compressed, 3);

        Assert.InRange(size, Length, bound);
        Assert.True(bound - Length < 1024, $"bound {bound} for {Length} bytes");
    }

    [Fact]
    public void CompressBound_Negative_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Zstd.CompressBound(-1));
    }

    [Fact]
    public void Compress_DestinationTooSmall_ThrowsInvalidOperation()
    {
        var data = new SeededRandom(7).NextBytes(4096);

        Assert.Throws<InvalidOperationException>(() => Zstd.Compress(data, new byte[100], 3));
    }

    [Fact]
    public void Decompress_EmptyInput_ReturnsZeroBytes()
    {
        // libzstd treats no frames as no content, not as an error; callers compare the count with the length they expect.
        Assert.Equal(0, Zstd.Decompress([], new byte[100]));
    }

    [Fact]
    public void Decompress_BadMagic_ThrowsInvalidData()
    {
        var corrupt = ReferenceFrame.ToArray();
        corrupt[0] ^= 0xFF;

        var error = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(corrupt, new byte[100]));

        Assert.StartsWith("zstd: ", error.Message);
    }

    [Fact]
    public void Decompress_Truncated_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(ReferenceFrame.AsSpan(0, 10), new byte[100]));
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(ReferenceFrame.AsSpan(0, ReferenceFrame.Length - 1), new byte[100]));
    }

    [Fact]
    public void Decompress_AnyFlippedBit_ThrowsInvalidDataOrGivesTheOriginalText()
    {
        // Flip each bit of the frame in turn. Ten flips land where the decoder does not look (an unused header
        // bit, the window size, reserved bits of the sequences header) and give the text back; every other flip
        // is an error, the checksum (last 4 bytes) catching what the block decoder lets through. Never other text.
        var output = new byte[100];
        for (var bit = 0; bit < ReferenceFrame.Length * 8; bit++)
        {
            var corrupt = ReferenceFrame.ToArray();
            corrupt[bit / 8] ^= (byte)(1 << (bit % 8));
            try
            {
                var written = Zstd.Decompress(corrupt, output);
                Assert.Equal(ReferenceText, Encoding.ASCII.GetString(output, 0, written));
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    [Fact]
    public void Decompress_DestinationTooSmallForTheCliFrame_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(ReferenceFrame, new byte[10]));
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(ReferenceFrame, new byte[ReferenceText.Length - 1]));
    }

    [Fact]
    public void Decompress_DestinationTooSmallForAFrameWithItsSize_ThrowsInvalidDataNamingTheSizes()
    {
        // Our own frames record their content size, so the error can say how much room was wanted.
        var data = new SeededRandom(9).NextBytes(1000);
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        var size = Zstd.Compress(data, compressed, 1);

        var error = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(compressed.AsSpan(0, size), new byte[999]));

        Assert.Contains("the frame declares 1000 bytes, the destination holds 999", error.Message);
    }

    [Fact]
    public void Compress_AfterOtherCallsOnTheSameThread_GivesTheSameFrameAsAFreshThread()
    {
        // The thread's context is reused: what an earlier call left in it (another level, other data, a failure)
        // must not change the next frame.
        var data = CompressibleText(50_000, 1);
        var fresh = RunOnNewThread(() => CompressToArray(data, 3));

        CompressToArray(CompressibleText(200_000, 2), 1);
        Assert.Throws<InvalidOperationException>(() => Zstd.Compress(data, new byte[100], 3));
        var reused = CompressToArray(data, 3);

        Assert.Equal(fresh, reused);
    }

    [Fact]
    public void Decompress_AfterAFailureOnTheSameThread_StillDecompresses()
    {
        var data = CompressibleText(50_000, 3);
        var frame = CompressToArray(data, 3);
        var output = new byte[data.Length];

        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame.AsSpan(0, frame.Length / 2), output));
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[10]));

        Assert.Equal(data.Length, Zstd.Decompress(frame, output));
        Assert.Equal(data, output);
    }

    [Fact]
    public void CompressThenDecompress_ManyThreadsAtOnce_EachRoundTrips()
    {
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var data = CompressibleText(10_000 + (i * 1_000), (ulong)i);
            AssertRoundTrips(data, 1 + (i % 5));
        });
    }

    private static byte[] CompressibleText(int length, ulong seed)
    {
        var data = new SeededRandom(0x7E47_0000 + seed).NextBytes(length);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)('a' + (data[i] & 7));
        }
        return data;
    }

    private static byte[] CompressToArray(byte[] data, int level)
    {
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        return compressed.AsSpan(0, Zstd.Compress(data, compressed, level)).ToArray();
    }

    private static T RunOnNewThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }

    private static int AssertRoundTrips(byte[] data, int level)
    {
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        var size = Zstd.Compress(data, compressed, level);

        var output = new byte[data.Length];
        Assert.Equal(data.Length, Zstd.Decompress(compressed.AsSpan(0, size), output));
        Assert.Equal(data, output);
        return size;
    }
}
