using System.Runtime.InteropServices;
using Dupa.Core.Errors;
using Dupa.Core.Native;

namespace Dupa.Core.Compression;

/// <summary>
/// zstd's one-shot API over spans, without allocating. Errors from decompression (corrupt input, a destination
/// too small) are <see cref="InvalidDataException"/>; callers name the object that held the bad data.
/// </summary>
public static unsafe class Zstd
{
    private static readonly Lazy<bool> Loaded = new(() => NativeLibrary.TryLoad(ZstdNative.Library, typeof(Zstd).Assembly, null, out _));

    /// <summary>The largest compressed size of <paramref name="length"/> bytes: a destination this big never fails.</summary>
    public static int CompressBound(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        EnsureLoaded();
        return checked((int)ZstdNative.CompressBound((nuint)length));
    }

    /// <summary>
    /// Compresses <paramref name="source"/> into one frame (which records its content size) and returns the bytes
    /// written. A destination smaller than <see cref="CompressBound"/> may fail with <see cref="InvalidOperationException"/>.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        EnsureLoaded();
        nuint result;
        byte empty = 0;
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            result = ZstdNative.Compress(d, (nuint)destination.Length, source.IsEmpty ? &empty : s, (nuint)source.Length, level);
        }
        if (ZstdNative.IsError(result) != 0)
        {
            ThrowCompressFailed(result);
        }
        return (int)result;
    }

    /// <summary>
    /// Compresses <paramref name="source"/> into one frame if it fits in <paramref name="destination"/>; false (and
    /// nothing to use in the destination) when it does not, which is how a caller asks "does it shrink this much?".
    /// </summary>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, int level, out int written)
    {
        EnsureLoaded();
        nuint result;
        byte empty = 0;
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            result = ZstdNative.Compress(destination.IsEmpty ? &empty : d, (nuint)destination.Length, source.IsEmpty ? &empty : s, (nuint)source.Length, level);
        }
        if (ZstdNative.IsError(result) != 0)
        {
            if (ZstdNative.GetErrorCode(result) != ZstdNative.DestinationTooSmall)
            {
                ThrowCompressFailed(result);
            }
            written = 0;
            return false;
        }
        written = (int)result;
        return true;
    }

    /// <summary>
    /// Decompresses <paramref name="source"/> into <paramref name="destination"/>, which must hold the whole
    /// content, and returns the bytes written (callers compare it with the length they expect). Corrupt input or a
    /// destination too small throws <see cref="InvalidDataException"/> with zstd's error name.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        EnsureLoaded();
        nuint result;
        byte empty = 0;
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            result = ZstdNative.Decompress(destination.IsEmpty ? &empty : d, (nuint)destination.Length, source.IsEmpty ? &empty : s, (nuint)source.Length);
        }
        if (ZstdNative.IsError(result) != 0)
        {
            ThrowDecompressFailed(result, source, destination.Length);
        }
        return (int)result;
    }

    private static string ErrorName(nuint code) => Marshal.PtrToStringAnsi(ZstdNative.GetErrorName(code)) ?? "unknown error";

    private static void EnsureLoaded()
    {
        if (!Loaded.Value)
        {
            ThrowMissing();
        }
    }

    private static void ThrowMissing() =>
        throw new DupaException(ErrorCode.MissingLibrary, "libzstd is missing: install Debian's libzstd1 (apt-get install libzstd1)");

    private static void ThrowCompressFailed(nuint code) =>
        throw new InvalidOperationException("zstd compression failed: " + ErrorName(code));

    // Off the hot path: only a failure reads the frame header again, to say how much room the frame wanted.
    private static void ThrowDecompressFailed(nuint code, ReadOnlySpan<byte> source, int capacity)
    {
        ulong declared;
        fixed (byte* s = source)
        {
            declared = source.IsEmpty ? ZstdNative.ContentSizeError : ZstdNative.GetFrameContentSize(s, (nuint)source.Length);
        }
        var detail = declared is not (ZstdNative.ContentSizeUnknown or ZstdNative.ContentSizeError) && declared > (ulong)capacity
            ? $" (the frame declares {declared} bytes, the destination holds {capacity})"
            : "";
        throw new InvalidDataException("zstd: " + ErrorName(code) + detail);
    }
}
