using System.Numerics;

namespace Dupa.Core.Chunking;

/// <summary>
/// Minimum, average and maximum chunk size, fixed per vault at init and stored in its header (docs/chunking.md).
/// The average is a power of two because it sets the masks; min and max bound every chunk but a file's last.
/// </summary>
/// <remarks>
/// Not a positional record on purpose: its properties have no <c>init</c> accessor, so a <c>with</c> expression
/// cannot make an instance that skipped the checks. The messages name no parameter because the CLI shows them
/// to the user as they are.
/// </remarks>
public sealed record ChunkerParameters
{
    public const int SmallestMinSize = 64;
    public const int SmallestAvgSize = 1024;
    public const int LargestSize = 64 * 1024 * 1024;

    /// <exception cref="ArgumentException">Unless 64 ≤ min &lt; avg &lt; max ≤ 64 MiB and avg is a power of two ≥ 1 KiB.</exception>
    public ChunkerParameters(int minSize, int avgSize, int maxSize)
    {
        if (avgSize < SmallestAvgSize || avgSize > LargestSize || !BitOperations.IsPow2(avgSize))
        {
            throw new ArgumentException($"The average chunk size must be a power of two from 1 KiB to 64 MiB, not {avgSize}.");
        }
        if (minSize < SmallestMinSize || minSize >= avgSize)
        {
            throw new ArgumentException($"The minimum chunk size must be at least 64 and below the average {avgSize}, not {minSize}.");
        }
        if (maxSize <= avgSize || maxSize > LargestSize)
        {
            throw new ArgumentException($"The maximum chunk size must be above the average {avgSize} and at most 64 MiB, not {maxSize}.");
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
