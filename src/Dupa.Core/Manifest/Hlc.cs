namespace Dupa.Core.Manifest;

/// <summary>
/// A hybrid logical clock reading (Kulkarni et al. 2014): wall time in Unix milliseconds and a counter that
/// orders events within one millisecond. It never goes backwards, even when the system clock does.
/// </summary>
public readonly record struct Hlc(long WallMs, uint Counter) : IComparable<Hlc>
{
    public int CompareTo(Hlc other)
    {
        var c = WallMs.CompareTo(other.WallMs);
        return c != 0 ? c : Counter.CompareTo(other.Counter);
    }

    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(WallMs);

    /// <summary>The next reading after <paramref name="last"/> at physical time <paramref name="now"/>.</summary>
    public static Hlc Next(Hlc last, DateTimeOffset now)
    {
        var wall = Math.Max(now.ToUnixTimeMilliseconds(), last.WallMs);
        return wall == last.WallMs ? new Hlc(wall, last.Counter + 1) : new Hlc(wall, 0);
    }

    public static bool operator <(Hlc a, Hlc b) => a.CompareTo(b) < 0;
    public static bool operator >(Hlc a, Hlc b) => a.CompareTo(b) > 0;
    public static bool operator <=(Hlc a, Hlc b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Hlc a, Hlc b) => a.CompareTo(b) >= 0;
}
