using System.Numerics;

namespace Dupa.Core.Chunking;

/// <summary>
/// Minimum, average and maximum chunk size, fixed per vault at init. The average is a power of two (it sets the
/// masks); min and max bound every chunk but a file's last.
/// </summary>
public sealed record ChunkerParameters
{
    public ChunkerParameters(int minSize, int avgSize, int maxSize)
    {
        if (avgSize < 256 || avgSize > 64 * 1024 * 1024 || !BitOperations.IsPow2(avgSize))
        {
            throw new ArgumentException($"the average chunk size must be a power of two between 256 B and 64 MiB, not {avgSize}");
        }
        if (minSize < 64 || minSize >= avgSize || maxSize <= avgSize || maxSize > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"chunk sizes must satisfy 64 <= min < avg < max <= 64 MiB (got {minSize}/{avgSize}/{maxSize})");
        }
        MinSize = minSize;
        AvgSize = avgSize;
        MaxSize = maxSize;
    }

    public int MinSize { get; }

    public int AvgSize { get; }

    public int MaxSize { get; }

    /// <summary>256 KiB / 1 MiB / 4 MiB: about restic's average, and few enough chunks that a 1 TB vault indexes in memory.</summary>
    public static ChunkerParameters Default { get; } = new(256 * 1024, 1024 * 1024, 4 * 1024 * 1024);
}
