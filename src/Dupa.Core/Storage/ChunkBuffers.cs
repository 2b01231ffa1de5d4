using System.Buffers;

namespace Dupa.Core.Storage;

/// <summary>
/// The pool for buffers of a chunk's size (the chunker's window, plaintext copies, sealed chunks). ArrayPool.Shared
/// keeps returned arrays per thread and per core, so a put's thread pool threads each held on to buffers of every
/// size they had touched: 290 MiB resident for a put whose pipeline holds under 100 MiB at once.
/// </summary>
internal static class ChunkBuffers
{
    public static ChunkBufferPool Pool { get; } = new();
}

/// <summary>
/// An array pool for large buffers that holds at most half again as much as was rented at once. Sizes come in four
/// classes per power of two (80, 96, 112, 128, 160 KiB, ...), so that a new buffer is at most a quarter larger than
/// asked for; a request takes the smallest free buffer that fits and is at most four times the size asked for. When none
/// does, a new one is made, and free buffers of other sizes are let go while the pool holds more than its bound.
/// Requests of 64 KiB or less come from <see cref="ArrayPool{T}.Shared"/>, as do any above the largest class, and go
/// back to it zeroed; buffers of this pool's own classes are reused only for chunks and are not.
/// </summary>
/// <remarks>
/// <see cref="ArrayPool{T}.Create(int, int)"/> rounds every size up to a power of two and keeps up to its count per
/// size: chunks of about 1 MiB took 2 MiB buffers, and a first put of the benchmark corpus kept 57 MiB of buffers
/// for 36 MiB it had rented at once. Here it rents at most 28–32 MiB at once and keeps 31–33 MiB. A tighter bound
/// (no more than the peak) or a tighter fit made buffers over and over: 229 MiB of new buffers for that put
/// with neither, 82–86 MiB with a fit of at most twice the size, 58 MiB as here.
/// </remarks>
internal sealed class ChunkBufferPool : ArrayPool<byte>
{
    /// <summary>Requests up to this size go to <see cref="ArrayPool{T}.Shared"/>, which rounds them up to at most this.</summary>
    private const int SharedSize = 64 * 1024;
    private const int ClassesPerOctave = 4;

    /// <summary>Every class's size, ascending, from 80 KiB to 256 MiB (the chunker's window for 64 MiB chunks is 128 MiB).</summary>
    private static readonly int[] Sizes = MakeSizes();

    private readonly Stack<byte[]>[] _free = [.. Sizes.Select(_ => new Stack<byte[]>())];
    private readonly Lock _gate = new();
    private long _freeBytes;
    private long _rentedBytes;
    private long _peakRentedBytes;

    private static int[] MakeSizes()
    {
        var sizes = new List<int>();
        for (var octave = SharedSize; octave <= 128 * 1024 * 1024; octave *= 2)
        {
            for (var step = 1; step <= ClassesPerOctave; step++)
            {
                sizes.Add(octave + (octave / ClassesPerOctave * step));
            }
        }
        return [.. sizes];
    }

    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength <= SharedSize || minimumLength > Sizes[^1])
        {
            return Shared.Rent(minimumLength);
        }
        var wanted = Array.BinarySearch(Sizes, minimumLength);
        if (wanted < 0)
        {
            wanted = ~wanted;
        }
        lock (_gate)
        {
            // Two octaves of classes: up to four times the size asked for.
            for (var size = wanted; size <= Math.Min(wanted + (2 * ClassesPerOctave), Sizes.Length - 1); size++)
            {
                if (_free[size].TryPop(out var free))
                {
                    _freeBytes -= free.Length;
                    _rentedBytes += free.Length;
                    _peakRentedBytes = Math.Max(_peakRentedBytes, _rentedBytes);
                    return free;
                }
            }
            _rentedBytes += Sizes[wanted];
            _peakRentedBytes = Math.Max(_peakRentedBytes, _rentedBytes);
            // None fits: let go of free buffers of other sizes, smallest first, while the pool holds more than its bound.
            for (var size = 0; size < Sizes.Length && IsOverBound; size++)
            {
                while (IsOverBound && _free[size].TryPop(out var dropped))
                {
                    _freeBytes -= dropped.Length;
                }
            }
        }
        return GC.AllocateUninitializedArray<byte>(Sizes[wanted]);
    }

    /// <summary>Bytes rented and not returned, and bytes kept free (for tests).</summary>
    internal (long Rented, long Free, long PeakRented) Holdings
    {
        get
        {
            lock (_gate)
            {
                return (_rentedBytes, _freeBytes, _peakRentedBytes);
            }
        }
    }

    /// <summary>
    /// Lets go of every free buffer, and bounds what the pool keeps from now on by what is rented from now on: after a
    /// large put, a long-running process (<c>dupa serve</c>) otherwise kept 30 MiB of them until the next one.
    /// </summary>
    public void ReleaseFree()
    {
        lock (_gate)
        {
            foreach (var free in _free)
            {
                free.Clear();
            }
            _freeBytes = 0;
            _peakRentedBytes = _rentedBytes;
        }
    }

    private bool IsOverBound => _freeBytes + _rentedBytes > _peakRentedBytes + (_peakRentedBytes / 2);

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length <= SharedSize || array.Length > Sizes[^1])
        {
            // The process-wide pool: a chunk's bytes (a file's plaintext, or what is left of it after sealing in place)
            // are not handed on to whatever rents the array next.
            Shared.Return(array, clearArray: true);
            return;
        }
        if (clearArray)
        {
            Array.Clear(array);
        }
        // The largest class the array can serve: its own, for every array this pool made.
        var size = Array.BinarySearch(Sizes, array.Length);
        if (size < 0)
        {
            size = ~size - 1;
        }
        lock (_gate)
        {
            _rentedBytes -= array.Length;
            if (size >= 0)
            {
                _free[size].Push(array);
                _freeBytes += array.Length;
            }
        }
    }
}
