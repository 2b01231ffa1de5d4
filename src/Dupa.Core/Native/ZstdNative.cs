using System.Runtime.InteropServices;

namespace Dupa.Core.Native;

/// <summary>libzstd from Debian's libzstd1 (ZstdSharp is not served by the NuGet registry here; docs/native.md).</summary>
internal static unsafe partial class ZstdNative
{
    public const string Library = "libzstd.so.1";

    /// <summary>ZSTD_CONTENTSIZE_UNKNOWN: the frame header does not record its decompressed size.</summary>
    public const ulong ContentSizeUnknown = ulong.MaxValue;

    /// <summary>ZSTD_CONTENTSIZE_ERROR: not a zstd frame, or a header too short to read.</summary>
    public const ulong ContentSizeError = ulong.MaxValue - 1;

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    public static partial nuint CompressBound(nuint sourceSize);

    /// <summary>A compression context (ZSTD_CCtx*), or 0 when out of memory; free it with <see cref="FreeCCtx"/>.</summary>
    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    public static partial nint CreateCCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCCtx(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressCCtx")]
    public static partial nuint CompressCCtx(nint context, byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize, int level);

    /// <summary>A decompression context (ZSTD_DCtx*), or 0 when out of memory; free it with <see cref="FreeDCtx"/>.</summary>
    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    public static partial nint CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    public static partial nuint FreeDCtx(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressDCtx")]
    public static partial nuint DecompressDCtx(nint context, byte* destination, nuint destinationCapacity, byte* source, nuint compressedSize);

    /// <summary>ZSTD_error_dstSize_tooSmall, as ZSTD_getErrorCode gives it (zstd_errors.h; stable across versions).</summary>
    public const int DestinationTooSmall = 70;

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorCode")]
    public static partial int GetErrorCode(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    /// <summary>A static C string owned by libzstd; never freed.</summary>
    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    public static partial nint GetErrorName(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameContentSize")]
    public static partial ulong GetFrameContentSize(byte* source, nuint sourceSize);
}
