namespace Dupa.Corpus;

/// <summary>
/// What the corpus holds at scale 1 (about 1.1 GiB), as issue 8 asks: large incompressible files, a large
/// near-duplicate of one of them, compressible text and logs, and about 20,000 small files of 1–32 KiB in about
/// 200 nested directories. Every size and count is multiplied by the scale (0.05 gives about 55 MiB).
/// </summary>
internal sealed record CorpusLayout(double Scale)
{
    private const long MiB = 1 << 20;

    /// <summary>Three 160 MiB files of random bytes (video, photos, archives: nothing to compress).</summary>
    public const int LargeFiles = 3;

    public long LargeSize => Math.Max(MiB, (long)(160 * MiB * Scale));

    /// <summary>Prose documents of 1.5 MiB each: 90 MiB at scale 1.</summary>
    public int TextFiles => Math.Max(2, (int)Math.Round(60 * Scale));

    public const long TextSize = 3 * MiB / 2;

    /// <summary>Six application logs of 10 MiB each at scale 1.</summary>
    public const int LogFiles = 6;

    public long LogSize => Math.Max(64 * 1024, (long)(10 * MiB * Scale));

    /// <summary>Small files of 1–32 KiB, three in five text-like (source, config), the rest random.</summary>
    public int SmallFiles => Math.Max(300, (int)Math.Round(20_000 * Scale));

    public int SmallDirectories => Math.Max(20, (int)Math.Round(200 * Scale));
}
