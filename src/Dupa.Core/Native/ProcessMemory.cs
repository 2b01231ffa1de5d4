using Dupa.Core.Storage;

namespace Dupa.Core.Native;

/// <summary>
/// Hands back to the system the memory a process kept from work it has finished: the chunk buffers kept free for the
/// next put, the garbage collector's heap (a full, compacting collection that returns what it frees), and what the C
/// library keeps of blocks freed by native code (SQLite's caches, zstd's contexts). For a process that stays up
/// between bursts of work, such as <c>dupa serve</c>; it costs a full collection, tens of milliseconds.
/// </summary>
public static class ProcessMemory
{
    private static bool _noMallocTrim;

    public static void Release()
    {
        ChunkBuffers.Pool.ReleaseFree();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
    }

    private static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _noMallocTrim))
        {
            return;
        }
        try
        {
            Posix.TrimHeap();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): what it keeps stays kept.
            Volatile.Write(ref _noMallocTrim, true);
        }
    }
}
