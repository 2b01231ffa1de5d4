using System.Numerics;
using Dupa.Core.Chunking;
using Dupa.Testing;
using static Dupa.Core.Tests.Chunking.ChunkingTestSupport;

namespace Dupa.Core.Tests.Chunking;

public sealed class FastCdcTests
{
    private static readonly ChunkerParameters Small = new(1024, 4096, 16384);

    // Test vectors of docs/chunking.md; an independent Python implementation of that page gives the same offsets.
    [Fact]
    public void Split_OneMiBOfSeededData_GivesTheVectorOffsets()
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
    public void Split_64KiBOfSeededDataWithSmallParameters_GivesTheVectorOffsets()
    {
        // 64 / 1024 / 2048 on the first 64 KiB of the same input: one chunk is cut at MaxSize (at 59829).
        var cdc = new FastCdc(new ChunkerParameters(64, 1024, 2048), GearTable.Derive(VectorSeed));
        var data = new SeededRandom(42).NextBytes(64 * 1024);
        int[] expected =
        [
            0, 1386, 1734, 3172, 4987, 6225, 7265, 7632, 8931, 10610, 10939, 12104, 13281, 14533, 15910, 16976, 18210,
            19299, 20517, 21631, 22886, 24073, 25123, 25557, 26351, 27168, 28256, 29528, 30842, 31943, 32894, 33986, 35195,
            36313, 37410, 38457, 39884, 41023, 41646, 43679, 44449, 45580, 45892, 47161, 48305, 49469, 50670, 51218, 51484,
            52707, 52792, 53925, 55261, 56419, 57590, 58586, 59829, 61877, 62220, 63439, 63876, 65348,
        ];
        Assert.Equal(expected, FastCdc.Split(data, cdc).Select(c => c.Offset));
    }

    [Fact]
    public void Masks_DefaultParameters_AreTheTop22And18Bits()
    {
        var cdc = new FastCdc(ChunkerParameters.Default, GearTable.Derive(VectorSeed));
        Assert.Equal(0xFFFF_FC00_0000_0000UL, cdc.MaskS);
        Assert.Equal(0xFFFF_C000_0000_0000UL, cdc.MaskL);
    }

    [Fact]
    public void Masks_EveryAverage_HaveBPlus2AndBMinus2TopBits()
    {
        var gear = GearTable.Derive(VectorSeed);
        for (var b = 10; b <= 25; b++)
        {
            var cdc = new FastCdc(new ChunkerParameters(64, 1 << b, (1 << b) + 1), gear);
            // All ones from the top down, then all zeros.
            Assert.Equal(b + 2, BitOperations.PopCount(cdc.MaskS));
            Assert.Equal(b + 2, BitOperations.LeadingZeroCount(~cdc.MaskS));
            Assert.Equal(b - 2, BitOperations.PopCount(cdc.MaskL));
            Assert.Equal(b - 2, BitOperations.LeadingZeroCount(~cdc.MaskL));
        }
    }

    [Fact]
    public void FindBoundary_RandomDataAndParameters_AgreesWithThePlainRule()
    {
        // The unrolled two-bytes-a-step loop can return at any of eight places in each phase; check that cuts
        // were seen at every one of them, so that none of them went untested.
        var seen = new HashSet<(bool Small, int Lane)>();
        ForEachSeed(100, 40, random =>
        {
            var p = RandomParameters(random);
            var gear = GearTable.Derive(random.NextBytes(GearTable.SeedSize));
            var cdc = new FastCdc(p, gear);
            var data = random.Next(0, 3) == 0
                ? LowEntropyBytes(random, random.Next(0, 200_000), random.Next(1, 4))
                : random.NextBytes(random.Next(0, 200_000));
            for (var offset = 0; offset < data.Length;)
            {
                // Sometimes less than MaxSize is given, as at the end of a file.
                var available = random.Next(0, 4) == 0 ? random.Next(0, p.MaxSize + 1) : p.MaxSize;
                var window = data.AsSpan(offset, Math.Min(available, data.Length - offset));
                var expected = ReferenceBoundary(window, p, gear);
                Assert.Equal(expected, cdc.FindBoundary(window));
                if (expected > p.MinSize && expected < Math.Min(window.Length, p.MaxSize))
                {
                    var start = expected <= p.AvgSize ? p.MinSize : p.AvgSize;
                    seen.Add((expected <= p.AvgSize, (expected - 1 - start) % 8));
                }
                offset += Math.Max(expected, 1);
            }
        });
        Assert.Equal(16, seen.Count);
    }

    [Fact]
    public void Split_RandomDataAndParameters_ChunksAreWithinBoundsAndConcatenateToTheInput()
    {
        ForEachSeed(200, 40, random =>
        {
            var cdc = RandomChunker(random);
            var p = cdc.Parameters;
            var data = random.NextBytes(random.Next(0, 300_000));
            var chunks = FastCdc.Split(data, cdc).ToList();
            var position = 0;
            for (var i = 0; i < chunks.Count; i++)
            {
                Assert.Equal(position, chunks[i].Offset);
                Assert.InRange(chunks[i].Length, i == chunks.Count - 1 ? 1 : p.MinSize, p.MaxSize);
                position += chunks[i].Length;
            }
            Assert.Equal(data.Length, position);
        });
    }

    [Fact]
    public void Split_SameKeyParametersAndData_IsDeterministic()
    {
        ForEachSeed(300, 10, random =>
        {
            var p = RandomParameters(random);
            var seed = random.NextBytes(GearTable.SeedSize);
            var data = random.NextBytes(200_000);
            var first = FastCdc.Split(data, new FastCdc(p, GearTable.Derive(seed))).ToList();
            var cdc = new FastCdc(new ChunkerParameters(p.MinSize, p.AvgSize, p.MaxSize), GearTable.Derive(seed.ToArray()));
            Assert.Equal(first, FastCdc.Split(data.ToArray(), cdc).ToList());
            Assert.Equal(first, FastCdc.Split(data, cdc).ToList());
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1024)]
    public void Split_AfterAnInsertInTheMiddle_EarlierCutsStayAndLaterOnesResynchronize(int insertLength)
    {
        var differing = new List<int>();
        ForEachSeed(400 + (ulong)insertLength, 20, random =>
        {
            var cdc = RandomChunker(random);
            var original = random.NextBytes(100 * cdc.Parameters.AvgSize);
            var at = random.Next(original.Length / 4, original.Length / 2);
            var changed = original[..at].Concat(random.NextBytes(insertLength)).Concat(original[at..]).ToArray();

            var before = CutPoints(FastCdc.Split(original, cdc));
            var after = CutPoints(FastCdc.Split(changed, cdc));

            // Every cut before the insert depends only on bytes before it, so it is unchanged.
            Assert.Equal(before.Where(c => c <= at), after.Where(c => c <= at));
            // The first later cut that is an old cut, shifted, resynchronizes: every cut after it is an old one.
            var kept = after.Count(c => c <= at);
            var old = before.Select(c => c + insertLength).ToList();
            var resync = after.FindIndex(kept, c => old.Contains(c));
            Assert.InRange(resync, kept, after.Count - 2);
            Assert.Equal(old.Skip(old.IndexOf(after[resync])), after.Skip(resync));
            // The chunks that differ: from the one holding the insert to the one ending at the resynchronization.
            differing.Add(resync - kept + 1);
        });
        // Usually one chunk differs, but two chains of cuts from different starts can take a while to meet
        // (2,000 random trials: mean 1.2 for a few bytes, 2.8 for 1 KiB into 1–8 KiB chunks; at most 24).
        Assert.True(differing.Average() <= 4, $"chunks differing per trial: {string.Join(", ", differing)}");
    }

    [Fact]
    public void Split_DifferentSeedKey_GivesDifferentBoundaries()
    {
        ForEachSeed(500, 10, random =>
        {
            var p = RandomParameters(random);
            var data = random.NextBytes(100 * p.AvgSize);
            var a = CutPoints(FastCdc.Split(data, new FastCdc(p, GearTable.Derive(random.NextBytes(GearTable.SeedSize)))));
            var b = CutPoints(FastCdc.Split(data, new FastCdc(p, GearTable.Derive(random.NextBytes(GearTable.SeedSize)))));
            Assert.NotEqual(a, b);
            // Not just different: unrelated, sharing only the few cuts that coincide by chance (and the end).
            Assert.InRange(a.Intersect(b).Count(), 1, a.Count / 4);
        });
    }

    [Fact]
    public void Split_RandomData_AverageChunkSizeIsNearTheTarget()
    {
        ForEachSeed(600, 12, random =>
        {
            var cdc = RandomChunker(random);
            var data = random.NextBytes(1000 * cdc.Parameters.AvgSize);
            var average = data.Length / (double)FastCdc.Split(data, cdc).Count();
            Assert.InRange(average, cdc.Parameters.AvgSize * 0.5, cdc.Parameters.AvgSize * 2.0);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)]
    public void FindBoundary_AtMostMinSize_ReturnsTheWholeData(int length)
    {
        var cdc = new FastCdc(Small, GearTable.Derive(VectorSeed));
        Assert.Equal(length, cdc.FindBoundary(new SeededRandom(5).NextBytes(length)));
    }

    [Theory]
    [InlineData(1025, new[] { 1025 })]
    [InlineData(16384, new[] { 16384 })]
    [InlineData(16385, new[] { 16384, 1 })]
    [InlineData(3 * 16384 + 5, new[] { 16384, 16384, 16384, 5 })]
    public void Split_DataWithoutACutPoint_CutsAtMaxSizeAndAtTheEnd(int length, int[] expected)
    {
        var gear = GearTable.Derive(VectorSeed);
        var data = new byte[length];
        data.AsSpan().Fill(ByteWithoutACutPoint(gear));
        Assert.Equal(expected, FastCdc.Split(data, new FastCdc(Small, gear)).Select(c => c.Length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(16384)]
    [InlineData(16385)]
    public void Split_EdgeLengths_FollowTheRule(int length)
    {
        var gear = GearTable.Derive(VectorSeed);
        var data = new SeededRandom(6).NextBytes(length);
        var chunks = FastCdc.Split(data, new FastCdc(Small, gear)).ToList();
        Assert.Equal(ReferenceSplit(data, Small, gear), chunks);
        Assert.Equal(length, chunks.Sum(c => c.Length));
        Assert.Equal(length == 0, chunks.Count == 0);
    }

    /// <summary>A byte whose repetition never satisfies either mask within MaxSize, so only MaxSize cuts it.</summary>
    private static byte ByteWithoutACutPoint(GearTable gear)
    {
        var run = new byte[Small.MaxSize];
        for (var value = 0; value < 256; value++)
        {
            run.AsSpan().Fill((byte)value);
            if (ReferenceBoundary(run, Small, gear) == Small.MaxSize)
            {
                return (byte)value;
            }
        }
        throw new InvalidOperationException("every byte value has a cut point in a run of it");
    }
}
