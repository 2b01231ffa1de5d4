using System.Runtime.InteropServices;

namespace Dupa.Corpus;

/// <summary>
/// A deterministic generator (SplitMix64): the same seed gives the same corpus on every machine and every .NET
/// version, which System.Random does not promise (and which the tree bans). Not for anything secret.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator for one part of the corpus, independent of the order in which parts are written.</summary>
    public static SplitMix64 For(ulong seed, string part)
    {
        var h = 14695981039346656037UL;
        foreach (var c in part)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return new SplitMix64(seed ^ h);
    }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [min, max).</summary>
    public int Next(int min, int max) => min + (int)(NextUInt64() % (ulong)(max - min));

    public void Fill(Span<byte> buffer)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(buffer);
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = NextUInt64();
        }
        for (var i = words.Length * 8; i < buffer.Length; i++)
        {
            buffer[i] = (byte)NextUInt64();
        }
    }
}
