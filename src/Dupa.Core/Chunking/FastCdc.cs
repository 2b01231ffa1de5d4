using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dupa.Core.Chunking;

/// <summary>
/// FastCDC with normalized chunking, level 2 (Xia et al., USENIX ATC 2016; TPDS 2020). The cut rule is in
/// docs/chunking.md, bit for bit: it is part of the vault format and must never change.
/// </summary>
public sealed class FastCdc
{
    private readonly ulong[] _gear;
    private readonly ulong _maskS;
    private readonly ulong _maskL;

    public FastCdc(ChunkerParameters parameters, GearTable gear)
    {
        Parameters = parameters;
        _gear = gear.Values;
        var bits = BitOperations.Log2((uint)parameters.AvgSize);
        // The gear hash shifts left, so its top bits mix the last 64 bytes best: the masks take the top bits.
        // A stricter mask (more bits) before the average size, a looser one after, pull sizes towards the average.
        _maskS = ulong.MaxValue << (64 - (bits + 2));
        _maskL = ulong.MaxValue << (64 - Math.Max(bits - 2, 1));
    }

    public ChunkerParameters Parameters { get; }

    internal ulong MaskS => _maskS;

    internal ulong MaskL => _maskL;

    /// <summary>
    /// The length of the chunk that starts at <paramref name="data"/>[0]. Give it at least MaxSize bytes unless
    /// the data ends sooner (the end of a file is a boundary).
    /// </summary>
    public int FindBoundary(ReadOnlySpan<byte> data)
    {
        var min = Parameters.MinSize;
        if (data.Length <= min)
        {
            return data.Length;
        }
        var barrier = Math.Min(data.Length, Parameters.MaxSize);
        var normal = Math.Min(Parameters.AvgSize, barrier);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        ref var bytes = ref MemoryMarshal.GetReference(data);
        ulong fingerprint = 0;
        var i = min;
        for (; i < normal; i++)
        {
            fingerprint = (fingerprint << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((fingerprint & _maskS) == 0)
            {
                return i + 1;
            }
        }
        for (; i < barrier; i++)
        {
            fingerprint = (fingerprint << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((fingerprint & _maskL) == 0)
            {
                return i + 1;
            }
        }
        return barrier;
    }

    /// <summary>All chunk boundaries of an in-memory buffer, as (offset, length).</summary>
    public static IEnumerable<(int Offset, int Length)> Split(ReadOnlyMemory<byte> data, FastCdc cdc)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var length = cdc.FindBoundary(data.Span[offset..]);
            yield return (offset, length);
            offset += length;
        }
    }
}
