using Dupa.Core.Chunking;

namespace Dupa.Core.Tests.Chunking;

public sealed class ChunkerParametersTests
{
    [Fact]
    public void Default_Is256KiB1MiB4MiB()
    {
        Assert.Equal(new ChunkerParameters(256 * 1024, 1024 * 1024, 4 * 1024 * 1024), ChunkerParameters.Default);
    }

    [Theory]
    [InlineData(64, 1024, 1025)]
    [InlineData(1023, 1024, 64 * 1024 * 1024)]
    [InlineData(64, 32 * 1024 * 1024, 64 * 1024 * 1024)]
    [InlineData(4096, 16384, 65536)]
    public void Constructor_ValidSizes_KeepsThem(int min, int avg, int max)
    {
        var p = new ChunkerParameters(min, avg, max);
        Assert.Equal((min, avg, max), (p.MinSize, p.AvgSize, p.MaxSize));
    }

    [Theory]
    [InlineData(256, 3000, 16384, "power of two")]
    [InlineData(64, 512, 4096, "power of two")]
    [InlineData(64, 0, 4096, "power of two")]
    [InlineData(64, -1024, 4096, "power of two")]
    [InlineData(64, 128 * 1024 * 1024, int.MaxValue, "power of two")]
    [InlineData(63, 1024, 4096, "minimum")]
    [InlineData(4096, 4096, 16384, "minimum")]
    [InlineData(8192, 4096, 16384, "minimum")]
    [InlineData(1024, 4096, 4096, "maximum")]
    [InlineData(1024, 4096, 2048, "maximum")]
    [InlineData(1024, 4096, 64 * 1024 * 1024 + 1, "maximum")]
    public void Constructor_InvalidSizes_ThrowsArgumentExceptionNamingTheProblem(int min, int avg, int max, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => new ChunkerParameters(min, avg, max));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
