using Dupa.Core.Chunking;
using Dupa.Testing;
using static Dupa.Core.Tests.Chunking.ChunkingTestSupport;

namespace Dupa.Core.Tests.Chunking;

public sealed class StreamChunkerTests
{
    private static readonly ChunkerParameters Small = new(1024, 4096, 16384);

    [Fact]
    public async Task NextAsync_RandomShortReads_GivesTheSameChunksAsSplit()
    {
        await ForEachSeedAsync(700, 40, async random =>
        {
            var cdc = RandomChunker(random);
            var data = random.NextBytes(random.Next(0, 300_000));
            var largestRead = random.Next(0, 2) == 0 ? random.Next(1, 64) : random.Next(1, 3 * cdc.Parameters.MaxSize);
            // A buffer of exactly 2 × MaxSize (the smallest allowed), so that the data refills it many times.
            using var chunker = new StreamChunker(new TricklingStream(data, random, largestRead, asynchronous: random.Next(0, 4) == 0), cdc, minimumBufferSize: 0);
            Assert.Equal(FastCdc.Split(data, cdc).ToList(), await ReadAllAsync(chunker, data));
        });
    }

    [Fact]
    public async Task NextAndNextAsync_AnExpectedLengthThatIsWrong_GiveTheSameChunksAsSplit()
    {
        // A file listed at one size may be shorter or longer when read: the buffer sized for it grows if needed.
        await ForEachSeedAsync(720, 60, async random =>
        {
            var cdc = RandomChunker(random);
            var data = random.NextBytes(random.Next(0, 5 * cdc.Parameters.MaxSize));
            long expected = random.Next(0, 3) switch
            {
                0 => data.Length,
                1 => random.Next(0, data.Length + 1),
                _ => data.Length + random.Next(1, 2 * cdc.Parameters.MaxSize),
            };
            var largestRead = random.Next(1, 3 * cdc.Parameters.MaxSize);
            var synchronous = random.Next(0, 2) == 0;
            using var chunker = new StreamChunker(new TricklingStream(data, random, largestRead), cdc, minimumBufferSize: 0, expectedLength: expected);
            Assert.Equal(FastCdc.Split(data, cdc).ToList(), await ReadAllAsync(chunker, data, synchronous));
        });
    }

    [Fact]
    public async Task NextAndNextAsync_AStreamThatFitsTheBuffer_TellsItsLastChunk()
    {
        // What a put relies on to give a file's buffer back before the writer takes its last chunk.
        await ForEachSeedAsync(740, 60, async random =>
        {
            var cdc = RandomChunker(random);
            var data = random.NextBytes(random.Next(1, 2 * cdc.Parameters.MaxSize));
            using var chunker = new StreamChunker(new TricklingStream(data, random, random.Next(1, data.Length + 1)), cdc, expectedLength: data.Length);
            var synchronous = random.Next(0, 2) == 0;
            var done = 0;
            while (true)
            {
                var chunk = synchronous ? chunker.Next() : await chunker.NextAsync();
                Assert.False(chunk.IsEmpty, "the stream ended without a chunk marked last");
                done += chunk.Length;
                Assert.Equal(done == data.Length, chunker.IsAtEnd);
                if (chunker.IsAtEnd)
                {
                    break;
                }
            }
            Assert.True((synchronous ? chunker.Next() : await chunker.NextAsync()).IsEmpty);
        });
    }

    [Fact]
    public async Task NextAsync_OneByteReads_GivesTheSameChunksAsSplit()
    {
        var cdc = new FastCdc(Small, GearTable.Derive(VectorSeed));
        var data = new SeededRandom(8).NextBytes(100_000);
        using var chunker = new StreamChunker(new TricklingStream(data, new SeededRandom(9), largestRead: 1), cdc);
        Assert.Equal(FastCdc.Split(data, cdc).ToList(), await ReadAllAsync(chunker, data));
    }

    [Fact]
    public async Task NextAsync_DataLargerThanTheDefaultBuffer_GivesTheSameChunksAsSplit()
    {
        var cdc = new FastCdc(new ChunkerParameters(64, 1024, 8192), GearTable.Derive(VectorSeed));
        var data = new SeededRandom(10).NextBytes(3 * 1024 * 1024 + 7);
        using var chunker = new StreamChunker(new TricklingStream(data, new SeededRandom(11), largestRead: 100_000), cdc);
        Assert.Equal(FastCdc.Split(data, cdc).ToList(), await ReadAllAsync(chunker, data));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(16384)]
    [InlineData(16385)]
    public async Task NextAsync_EdgeLengths_GivesTheSameChunksAsSplit(int length)
    {
        var cdc = new FastCdc(Small, GearTable.Derive(VectorSeed));
        var data = new SeededRandom(12).NextBytes(length);
        using var chunker = new StreamChunker(new MemoryStream(data), cdc);
        var chunks = await ReadAllAsync(chunker, data);
        Assert.Equal(FastCdc.Split(data, cdc).ToList(), chunks);
        Assert.Equal(length == 0, chunks.Count == 0);
    }

    [Fact]
    public async Task NextAsync_AfterTheEnd_KeepsReturningEmpty()
    {
        using var chunker = new StreamChunker(new MemoryStream([1, 2, 3]), new FastCdc(Small, GearTable.Derive(VectorSeed)));
        Assert.Equal([1, 2, 3], (await chunker.NextAsync()).ToArray());
        Assert.True((await chunker.NextAsync()).IsEmpty);
        Assert.True((await chunker.NextAsync()).IsEmpty);
    }

    [Fact]
    public async Task NextAsync_CanceledDuringARead_ThrowsOperationCanceledException()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        using var chunker = new StreamChunker(new TricklingStream(new byte[100], new SeededRandom(13), 10, asynchronous: true), new FastCdc(Small, GearTable.Derive(VectorSeed)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await chunker.NextAsync(cancellation.Token));
    }

    [Fact]
    public async Task NextAsync_AfterDispose_ThrowsObjectDisposedException()
    {
        var chunker = new StreamChunker(new MemoryStream([1, 2, 3]), new FastCdc(Small, GearTable.Derive(VectorSeed)));
        chunker.Dispose();
        chunker.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await chunker.NextAsync());
    }

    /// <summary>Reads every chunk, checks it against the input, and returns the chunks as (offset, length).</summary>
    private static async Task<List<(int Offset, int Length)>> ReadAllAsync(StreamChunker chunker, byte[] data, bool synchronous = false)
    {
        var chunks = new List<(int Offset, int Length)>();
        var offset = 0;
        while (true)
        {
            var chunk = synchronous ? chunker.Next() : await chunker.NextAsync();
            if (chunk.IsEmpty)
            {
                return chunks;
            }
            Assert.True(chunk.Span.SequenceEqual(data.AsSpan(offset, chunk.Length)), $"chunk at {offset} differs from the input");
            if (chunker.IsAtEnd)
            {
                Assert.Equal(data.Length, offset + chunk.Length);
            }
            chunks.Add((offset, chunk.Length));
            offset += chunk.Length;
        }
    }
}
