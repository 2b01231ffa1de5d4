using Dupa.Core.Chunking;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Files;

/// <summary>
/// Cuts a stream into chunks, stores the new ones, and gives back the content fields of a put: the chunks
/// inline, or a chunk-list blob when there are more than <see cref="ChunkList.MaxInline"/>. The stream is read
/// once, one chunk in memory at a time. The chunks are durable only after the vault's next append.
/// </summary>
public static class ContentWriter
{
    public static async Task<PutOp> WriteAsync(Vault vault, Stream source, PutOp op, Action<int>? onChunk = null, CancellationToken cancellationToken = default)
    {
        var chunks = new List<(ChunkId Id, int Length)>();
        long size = 0;
        string? mime = null;
        using (var chunker = new StreamChunker(source, vault.Chunker))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = await chunker.NextAsync(cancellationToken);
                if (chunk.IsEmpty)
                {
                    break;
                }
                mime ??= MediaType.Sniff(chunk.Span[..Math.Min(chunk.Length, MediaType.SniffLength)]);
                var id = vault.Codec.ComputeId(chunk.Span);
                vault.Chunks.Add(id, BlobKind.Data, chunk.Span);
                chunks.Add((id, chunk.Length));
                size += chunk.Length;
                onChunk?.Invoke(chunk.Length);
            }
        }
        return Complete(vault, op, chunks, size, mime);
    }

    /// <summary>
    /// The content fields of a file put whose chunks are stored (or being written): inline, or a chunk-list blob
    /// when there are more than <see cref="ChunkList.MaxInline"/>.
    /// </summary>
    internal static PutOp Complete(Vault vault, PutOp op, List<(ChunkId Id, int Length)> chunks, long size, string? mime)
    {
        op = op with { Type = NodeType.File, Size = size, Mime = mime ?? MediaType.Empty };
        if (chunks.Count > ChunkList.MaxInline)
        {
            var list = ChunkList.Encode(chunks);
            var listId = vault.Codec.ComputeId(list);
            vault.Chunks.Add(listId, BlobKind.ChunkList, list);
            return op with { List = listId, Count = chunks.Count, Chunks = null };
        }
        return op with { Chunks = chunks.Select(c => new ChunkRef(c.Id, c.Length)).ToArray(), List = null, Count = null };
    }

    /// <summary>The version a new put of <paramref name="type"/> at <paramref name="path"/> replaces, for conflict detection; null if none.</summary>
    public static string? BaseOf(Vault vault, string path, NodeType type) =>
        vault.State.Get(path) is { } node && node.Type == type && type != NodeType.Directory ? node.Current.Ref.ToString() : null;

    /// <summary>
    /// Checks that a file may be put at <paramref name="path"/> (write-once locks), stores its new chunks and gives
    /// back the put, based on the version there now, for the caller to commit, alone or with others in one entry.
    /// </summary>
    public static async Task<PutOp> WriteFileAsync(Vault vault, string path, Stream source, DateTimeOffset modified, int mode = 0x1A4, CancellationToken cancellationToken = default)
    {
        path = VaultPath.Parse(path);
        vault.State.CheckPut(path, NodeType.File, vault.NowMs);
        return await WriteAsync(vault, source, new PutOp(path, NodeType.File, 0, modified.ToUnixTimeMilliseconds() * 1_000_000, mode) { Base = BaseOf(vault, path, NodeType.File) },
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Stores a whole file from a stream as a new version of <paramref name="path"/> and commits it. On any
    /// failure (a dropped upload, a full disk) nothing is added and the vault is as it was.
    /// </summary>
    public static async Task<FileVersion> PutAsync(Vault vault, string path, Stream source, DateTimeOffset modified, int mode = 0x1A4, CancellationToken cancellationToken = default)
    {
        PutOp op;
        try
        {
            op = await WriteFileAsync(vault, path, source, modified, mode, cancellationToken);
            vault.Append([op]);
        }
        catch
        {
            vault.Chunks.RollBack();
            throw;
        }
        return vault.State.Get(op.Path)!.Current;
    }
}
