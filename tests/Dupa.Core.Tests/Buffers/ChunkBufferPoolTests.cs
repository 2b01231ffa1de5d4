using Dupa.Core.Storage;
using Dupa.Testing;

namespace Dupa.Core.Tests.Buffers;

public sealed class ChunkBufferPoolTests
{
    private const int KiB = 1024;
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64 * KiB)]
    [InlineData((64 * KiB) + 1)]
    [InlineData(MiB)]
    [InlineData(MiB + 1)]
    [InlineData((4 * MiB) + 40)]
    [InlineData(256 * MiB)]
    [InlineData((256 * MiB) + 1)]
    public void Rent_AnySize_GivesAtLeastThatMuch_AndTakesItBack(int length)
    {
        var pool = new ChunkBufferPool();

        var array = pool.Rent(length);

        Assert.True(array.Length >= length);
        if (length <= 256 * MiB)
        {
            // Four classes per power of two: a new buffer is at most a quarter larger than asked for.
            Assert.True(array.Length <= Math.Max(64 * KiB, length + (length / 4)), $"{array.Length} for {length}");
        }
        pool.Return(array);
        Assert.Equal(0, pool.Holdings.Rented);
    }

    [Fact]
    public void Rent_AfterAReturnOfTheSameSize_ReusesTheBuffer()
    {
        var pool = new ChunkBufferPool();
        var first = pool.Rent((3 * MiB) + 100);
        pool.Return(first);

        var second = pool.Rent(3 * MiB);

        Assert.Same(first, second);
    }

    [Fact]
    public void Rent_OnlyFreeBuffersOverFourTimesTheRequest_MakesANewBuffer()
    {
        var pool = new ChunkBufferPool();
        var large = pool.Rent(4 * MiB);
        pool.Return(large);

        Assert.NotSame(large, pool.Rent(800 * KiB));
        Assert.Same(large, pool.Rent(MiB));
    }

    [Fact]
    public void RandomRentsAndReturns_NeverHoldMoreThanHalfAgainThePeakRentedAtOnce()
    {
        var random = new SeededRandom(8);
        for (var run = 0; run < 20; run++)
        {
            var pool = new ChunkBufferPool();
            var rented = new List<(byte[] Array, int Length)>();
            for (var step = 0; step < 2000; step++)
            {
                if (rented.Count > 0 && (rented.Count >= 24 || random.Next(0, 2) == 0))
                {
                    var index = random.Next(0, rented.Count);
                    var (array, length) = rented[index];
                    // The bytes asked for are the caller's until it returns them.
                    Assert.All(array.AsSpan(0, Math.Min(length, 16)).ToArray(), b => Assert.Equal((byte)length, b));
                    pool.Return(array);
                    rented.RemoveAt(index);
                }
                else
                {
                    // Chunk-like sizes, 256 KiB to 4 MiB with a sealed chunk's overhead, and some small ones.
                    var length = random.Next(0, 4) == 0 ? random.Next(1, 64 * KiB) : random.Next(256 * KiB, (4 * MiB) + 64);
                    var array = pool.Rent(length);
                    Assert.True(array.Length >= length);
                    array.AsSpan(0, Math.Min(length, 16)).Fill((byte)length);
                    rented.Add((array, length));
                }
                var (rentedBytes, freeBytes, peak) = pool.Holdings;
                Assert.True(rentedBytes + freeBytes <= peak + (peak / 2), $"run {run} step {step}: holds {rentedBytes + freeBytes} for a peak of {peak}");
            }
            foreach (var (array, _) in rented)
            {
                pool.Return(array);
            }
            Assert.Equal(0, pool.Holdings.Rented);
        }
    }

    [Fact]
    public void BuffersGoingBackToTheProcessWidePool_HoldNoPlaintext()
    {
        var pool = new ChunkBufferPool();
        var small = pool.Rent(1000);
        small.AsSpan().Fill(0xAB);
        pool.Return(small);

        var chunk = ChunkBuffers.Pool.Rent(3000);
        chunk.AsSpan().Fill(0xCD);
        new RentedChunk(chunk, 2500).Dispose();

        Assert.True(small.All(b => b == 0));
        Assert.True(chunk.All(b => b == 0));
    }

    [Fact]
    public void ReleaseFree_LetsGoOfFreeBuffers_AndBoundsWhatItKeepsByWhatIsRentedFromThen()
    {
        var pool = new ChunkBufferPool();
        var buffers = Enumerable.Range(0, 8).Select(_ => pool.Rent(MiB)).ToList();
        var kept = buffers[0];
        foreach (var buffer in buffers.Skip(1))
        {
            pool.Return(buffer);
        }
        Assert.True(pool.Holdings.Free >= 7 * MiB);

        pool.ReleaseFree();

        var (rented, free, peak) = pool.Holdings;
        Assert.Equal(0, free);
        Assert.Equal(kept.Length, rented);
        Assert.Equal(rented, peak);
        // Renting again makes a new buffer: none was kept.
        var again = pool.Rent(MiB);
        Assert.DoesNotContain(buffers.Skip(1), b => ReferenceEquals(b, again));
        pool.Return(again);
        pool.Return(kept);
        Assert.Equal(0, pool.Holdings.Rented);
    }
}
