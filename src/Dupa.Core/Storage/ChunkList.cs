using System.Buffers.Binary;
using Dupa.Core.Errors;
using Dupa.Core.Manifest;

namespace Dupa.Core.Storage;

/// <summary>A chunk-list blob's plaintext: records of chunkId(32) || plaintextLength(4) (docs/format.md).</summary>
public static class ChunkList
{
    public const int RecordSize = ChunkId.Size + 4;

    /// <summary>Files with more chunks than this keep them in a list blob, so log entries stay small.</summary>
    public const int MaxInline = 8;

    public static byte[] Encode(IReadOnlyList<(ChunkId Id, int Length)> chunks)
    {
        var bytes = new byte[chunks.Count * RecordSize];
        for (var i = 0; i < chunks.Count; i++)
        {
            var record = bytes.AsSpan(i * RecordSize, RecordSize);
            chunks[i].Id.Write(record);
            BinaryPrimitives.WriteInt32LittleEndian(record[ChunkId.Size..], chunks[i].Length);
        }
        return bytes;
    }

    public static IReadOnlyList<ChunkRef> Decode(ReadOnlySpan<byte> bytes, string where)
    {
        if (bytes.Length % RecordSize != 0)
        {
            throw new IntegrityException(where, "malformed chunk list");
        }
        var chunks = new ChunkRef[bytes.Length / RecordSize];
        for (var i = 0; i < chunks.Length; i++)
        {
            var record = bytes.Slice(i * RecordSize, RecordSize);
            var length = BinaryPrimitives.ReadInt32LittleEndian(record[ChunkId.Size..]);
            if (length <= 0)
            {
                throw new IntegrityException(where, "malformed chunk list");
            }
            chunks[i] = new ChunkRef(ChunkId.Read(record), length);
        }
        return chunks;
    }
}
