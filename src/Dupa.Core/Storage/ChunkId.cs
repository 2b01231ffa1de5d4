using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Dupa.Core.Storage;

/// <summary>HMAC-SHA-256 of a chunk's plaintext under the vault's chunk-id key: 32 bytes, compared by value.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct ChunkId(ulong A, ulong B, ulong C, ulong D)
{
    public const int Size = 32;

    public static ChunkId Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    public string Hex => Convert.ToHexStringLower(ToArray());

    /// <summary>The first 12 hex characters, enough to name a chunk in a message.</summary>
    public string Short => Hex[..12];

    public override string ToString() => Short;
}

/// <summary>What a blob holds.</summary>
public enum BlobKind : byte
{
    Data = 1,
    ChunkList = 2,
}
