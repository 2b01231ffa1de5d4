using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Dupa.Core.Chunking;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Files;

/// <summary>
/// One local file read ahead of a put's ordered writer, on the thread pool: cut into chunks, each chunk's ID
/// computed and its sealing started unless the store holds it (<see cref="ChunkStore.StartSeal"/>), handed over in
/// order through a small bounded channel, so memory stays flat however large the file. A put reads several files
/// at once this way: on a tree of small files, where each file is too little work to split, that is what keeps
/// every core busy; on a large file, its chunks are sealed on the thread pool while it is read.
/// </summary>
internal sealed class FileReadAhead : IAsyncDisposable
{
    /// <summary>Chunks read but not yet taken by the writer, per file.</summary>
    private const int ChunksAhead = 2;

    /// <summary>Chunks below this size are sealed by the reader itself: handing them to another thread costs more.</summary>
    private const int SealOnReaderBelow = 128 * 1024;

    private readonly Channel<ReadChunk> _chunks = Channel.CreateBounded<ReadChunk>(new BoundedChannelOptions(ChunksAhead)
    {
        SingleReader = true,
        SingleWriter = true,
    });
    private readonly CancellationTokenSource _stop;
    private readonly Task _reading;
    private ExceptionDispatchInfo? _failure;

    private FileReadAhead(Vault vault, string path, long expectedLength, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _reading = Task.Run(() => ReadAsync(vault, path, expectedLength, _stop.Token), CancellationToken.None);
    }

    /// <summary>Starts reading <paramref name="path"/> at once; <paramref name="expectedLength"/> is its size when it was listed.</summary>
    public static FileReadAhead Start(Vault vault, string path, long expectedLength, CancellationToken cancellationToken) =>
        new(vault, path, expectedLength, cancellationToken);

    /// <summary>The media type sniffed from the first chunk; set once the first chunk has been taken.</summary>
    public string? Mime { get; private set; }

    /// <summary>
    /// The file's chunks in order. The caller takes over each chunk's sealing job (null: the store holds the chunk)
    /// and passes it to <see cref="ChunkStore.Write"/> or disposes it. Then <see cref="ThrowIfFailed"/>.
    /// </summary>
    public IAsyncEnumerable<ReadChunk> ReadAllAsync(CancellationToken cancellationToken) => _chunks.Reader.ReadAllAsync(cancellationToken);

    /// <summary>After the last chunk: throws what stopped the reading early (the file could not be read), if anything.</summary>
    public void ThrowIfFailed() => _failure?.Throw();

    private async Task ReadAsync(Vault vault, string path, long expectedLength, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = SourceFiles.OpenRead(path);
            using var chunker = new StreamChunker(stream, vault.Chunker, expectedLength);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = chunker.Next();
                if (chunk.IsEmpty)
                {
                    break;
                }
                Mime ??= MediaType.Sniff(chunk.Span[..Math.Min(chunk.Length, MediaType.SniffLength)]);
                var id = vault.Codec.ComputeId(chunk.Span);
                var job = vault.Chunks.StartSeal(id, BlobKind.Data, chunk.Span, onThisThread: chunk.Length < SealOnReaderBelow);
                // The sealing job holds its own copy: the file's buffer goes back to the pool now rather than after the
                // writer takes this chunk, which may be many files later. Files read ahead and waiting for the writer
                // then hold one copy of their bytes, not two.
                var last = chunker.IsAtEnd;
                if (last)
                {
                    chunker.Dispose();
                }
                try
                {
                    await _chunks.Writer.WriteAsync(new ReadChunk(id, chunk.Length, job), cancellationToken);
                }
                catch
                {
                    job?.Dispose();
                    throw;
                }
                if (last)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _chunks.Writer.Complete();
        }
    }

    /// <summary>Stops reading and drops every chunk not taken.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        while (_chunks.Reader.TryRead(out var chunk))
        {
            chunk.Job?.Dispose();
        }
        _stop.Dispose();
    }
}

/// <summary>A chunk of a file read ahead: its ID, its length, and its sealing job, or null when the store holds it.</summary>
internal readonly record struct ReadChunk(ChunkId Id, int Length, SealJob? Job);
