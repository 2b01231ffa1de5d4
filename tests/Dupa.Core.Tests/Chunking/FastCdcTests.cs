using Dupa.Core.Chunking;
using Dupa.Testing;

namespace Dupa.Core.Tests.Chunking;

public sealed class FastCdcTests
{
    private static readonly byte[] VectorSeed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    // Test vectors of docs/chunking.md, checked against an independent Python implementation of the rule.
    [Fact]
    public void GearTable_SeedZeroToThirtyOne_MatchesTheVector()
    {
        var gear = GearTable.Derive(VectorSeed);
        Assert.Equal(0x4479e0ae93368f72UL, gear[0]);
        Assert.Equal(0xb4ea3bb1d71242c4UL, gear[1]);
        Assert.Equal(0xee041d671110d409UL, gear[255]);
    }

    [Fact]
    public void Split_OneMiBOfSeededData_GivesTheVectorBoundaries()
    {
        var cdc = new FastCdc(new ChunkerParameters(4096, 16384, 65536), GearTable.Derive(VectorSeed));
        var data = new SeededRandom(42).NextBytes(1 << 20);
        int[] expected =
        [
            0, 16976, 41023, 50670, 54786, 71797, 88408, 104823, 133525, 156558, 178086, 202347, 218804, 240044, 257593,
            275328, 294030, 317746, 338421, 353826, 373708, 390273, 411701, 429788, 446925, 472810, 494144, 513418, 531298,
            547783, 572256, 583870, 599571, 621328, 640093, 658925, 679206, 696282, 707961, 732523, 745328, 765672, 786986,
            804574, 827737, 839905, 863727, 869760, 887205, 904262, 921857, 940796, 960076, 988163, 1011669, 1035115, 1044695,
        ];
        Assert.Equal(expected, FastCdc.Split(data, cdc).Select(c => c.Offset));
    }

    [Fact]
    public void Split_RandomDataAndParameters_RespectsBoundsAndCoversTheInput()
    {
        var random = new SeededRandom(1);
        for (var trial = 0; trial < 40; trial++)
        {
            var cdc = RandomChunker(random);
            var p = cdc.Parameters;
            var data = random.NextBytes(random.Next(0, 300_000));
            var chunks = FastCdc.Split(data, cdc).ToList();
            var position = 0;
            for (var i = 0; i < chunks.Count; i++)
            {
                Assert.Equal(position, chunks[i].Offset);
                var last = i == chunks.Count - 1;
                Assert.True(chunks[i].Length <= p.MaxSize && (last ? chunks[i].Length >= 1 : chunks[i].Length >= p.MinSize), $"seed {random.Seed}, trial {trial}, chunk {i}: {chunks[i].Length}");
                position += chunks[i].Length;
            }
            Assert.Equal(data.Length, position);
        }
    }

    [Fact]
    public async Task StreamChunker_WithShortReads_GivesTheSameBoundariesAsSplit()
    {
        var random = new SeededRandom(2);
        for (var trial = 0; trial < 30; trial++)
        {
            var cdc = RandomChunker(random);
            var data = random.NextBytes(random.Next(0, 200_000));
            var expected = FastCdc.Split(data, cdc).Select(c => data.AsSpan(c.Offset, c.Length).ToArray()).ToList();
            using var chunker = new StreamChunker(new TricklingStream(data, random), cdc);
            var actual = new List<byte[]>();
            while (true)
            {
                var chunk = await chunker.NextAsync();
                if (chunk.IsEmpty)
                {
                    break;
                }
                actual.Add(chunk.ToArray());
            }
            Assert.True(expected.Count == actual.Count, $"seed {random.Seed}, trial {trial}");
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"seed {random.Seed}, trial {trial}, chunk {i}");
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1024)]
    public void Split_AfterAnInsertInTheMiddle_OnlyAHandfulOfChunksChange(int insertLength)
    {
        var random = new SeededRandom((ulong)insertLength);
        var cdc = new FastCdc(new ChunkerParameters(1024, 4096, 16384), GearTable.Derive(VectorSeed));
        var original = random.NextBytes(400_000);
        var at = 200_003;
        var changed = original[..at].Concat(random.NextBytes(insertLength)).Concat(original[at..]).ToArray();

        var before = FastCdc.Split(original, cdc).ToList();
        var after = FastCdc.Split(changed, cdc).ToList();

        // Every boundary before the insert is unchanged.
        Assert.Equal(before.Where(c => c.Offset + c.Length <= at), after.Where(c => c.Offset + c.Length <= at));
        // After a short resynchronisation, the old boundaries come back shifted by the insert.
        var oldSet = before.Select(c => (c.Offset + insertLength, c.Length)).ToHashSet();
        var differing = after.Count(c => !oldSet.Contains(c) && !before.Contains(c));
        Assert.InRange(differing, 1, 4);
    }

    [Fact]
    public void Split_DifferentSeedKey_GivesDifferentBoundaries()
    {
        var parameters = new ChunkerParameters(1024, 4096, 16384);
        var data = new SeededRandom(3).NextBytes(200_000);
        var a = FastCdc.Split(data, new FastCdc(parameters, GearTable.Derive(VectorSeed))).ToList();
        var b = FastCdc.Split(data, new FastCdc(parameters, GearTable.Derive(new byte[32]))).ToList();
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Split_RandomData_AverageNearTheTarget()
    {
        var cdc = new FastCdc(new ChunkerParameters(2048, 8192, 32768), GearTable.Derive(VectorSeed));
        var data = new SeededRandom(4).NextBytes(8 << 20);
        var average = data.Length / (double)FastCdc.Split(data, cdc).Count();
        Assert.InRange(average, 8192 * 0.75, 8192 * 1.5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(16384)]
    [InlineData(16385)]
    public void Split_EdgeSizes_AreHandled(int length)
    {
        var cdc = new FastCdc(new ChunkerParameters(1024, 4096, 16384), GearTable.Derive(VectorSeed));
        var chunks = FastCdc.Split(new SeededRandom(5).NextBytes(length), cdc).ToList();
        Assert.Equal(length, chunks.Sum(c => c.Length));
        Assert.Equal(length == 0, chunks.Count == 0);
        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Length, 1024, 16384));
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 16384));
    }

    [Fact]
    public void Parameters_Invalid_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ChunkerParameters(1024, 3000, 16384));
        Assert.Throws<ArgumentException>(() => new ChunkerParameters(4096, 4096, 16384));
        Assert.Throws<ArgumentException>(() => new ChunkerParameters(1024, 4096, 4096));
        Assert.Throws<ArgumentException>(() => GearTable.Derive(new byte[31]));
    }

    private static FastCdc RandomChunker(SeededRandom random)
    {
        var average = 1 << random.Next(8, 14);
        return new FastCdc(new ChunkerParameters(Math.Max(64, average / random.Next(2, 8)), average, average * random.Next(2, 8)), GearTable.Derive(random.NextBytes(32)));
    }

    /// <summary>A stream that returns a random, often tiny, number of bytes per read.</summary>
    private sealed class TricklingStream(byte[] data, SeededRandom random) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, random.Next(1, 5000))], cancellationToken);
    }
}
