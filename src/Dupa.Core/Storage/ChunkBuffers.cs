using System.Buffers;

namespace Dupa.Core.Storage;

/// <summary>
/// The pool for buffers of a chunk's size (the chunker's window, plaintext copies, sealed chunks). ArrayPool.Shared
/// keeps returned arrays per thread and per core, so a put's thread pool threads each held on to buffers of every
/// size they had touched: 290 MiB resident for a put whose pipeline holds under 100 MiB at once. This pool keeps
/// at most as many arrays of a size as were in use at once.
/// </summary>
internal static class ChunkBuffers
{
    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(maxArrayLength: 32 * 1024 * 1024, maxArraysPerBucket: 64);
}
