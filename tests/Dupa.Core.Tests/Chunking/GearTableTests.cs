using System.Buffers.Binary;
using Dupa.Core.Chunking;
using static Dupa.Core.Tests.Chunking.ChunkingTestSupport;

namespace Dupa.Core.Tests.Chunking;

public sealed class GearTableTests
{
    // Test vectors of docs/chunking.md, also computed by an independent Python HKDF.
    [Fact]
    public void Derive_SeedZeroToThirtyOne_FirstSixteenBytesMatchTheVector()
    {
        var gear = GearTable.Derive(VectorSeed);
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, gear[0]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), gear[1]);
        Assert.Equal("728f3693aee07944c44212d7b13beab4", Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void Derive_SeedZeroToThirtyOne_ValuesMatchTheVector()
    {
        var gear = GearTable.Derive(VectorSeed);
        Assert.Equal(0x4479e0ae93368f72UL, gear[0]);
        Assert.Equal(0xb4ea3bb1d71242c4UL, gear[1]);
        Assert.Equal(0xee041d671110d409UL, gear[255]);
    }

    [Fact]
    public void Derive_SameSeed_GivesTheSameTable()
    {
        var a = GearTable.Derive(VectorSeed);
        var b = GearTable.Derive(VectorSeed.ToArray());
        Assert.All(Enumerable.Range(0, 256), i => Assert.Equal(a[i], b[i]));
    }

    [Fact]
    public void Derive_SeedDifferingInOneBit_GivesAnUnrelatedTable()
    {
        var seed = VectorSeed.ToArray();
        seed[31] ^= 1;
        var a = GearTable.Derive(VectorSeed);
        var b = GearTable.Derive(seed);
        Assert.DoesNotContain(Enumerable.Range(0, 256), i => a[i] == b[i]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Derive_SeedNot32Bytes_ThrowsArgumentException(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => GearTable.Derive(new byte[length]));
        Assert.Contains("32 bytes", e.Message, StringComparison.Ordinal);
    }
}
