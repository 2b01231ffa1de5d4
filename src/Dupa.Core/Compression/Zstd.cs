using System.Runtime.InteropServices;
using Dupa.Core.Errors;
using Dupa.Core.Native;

namespace Dupa.Core.Compression;

/// <summary>
/// zstd's one-shot API over spans. Errors from decompression (corrupt input, a destination too small) are
/// <see cref="InvalidDataException"/>; callers name the object that held the bad data.
/// </summary>
public static unsafe class Zstd
{
    private static readonly Lazy<bool> Loaded = new(() => NativeLibrary.TryLoad(ZstdNative.Library, typeof(Zstd).Assembly, null, out _));

    public static int CompressBound(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        EnsureLoaded();
        return checked((int)ZstdNative.CompressBound((nuint)length));
    }

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
            throw new InvalidOperationException("zstd compression failed: " + ErrorName(result));
        }
        return (int)result;
    }

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
            throw new InvalidDataException("zstd: " + ErrorName(result));
        }
        return (int)result;
    }

    private static string ErrorName(nuint code) => Marshal.PtrToStringAnsi(ZstdNative.GetErrorName(code)) ?? "unknown error";

    private static void EnsureLoaded()
    {
        if (!Loaded.Value)
        {
            throw new DupaException(ErrorCode.MissingLibrary, "libzstd is missing: install Debian's libzstd1 (apt-get install libzstd1)");
        }
    }
}
