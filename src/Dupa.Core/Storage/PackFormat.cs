using System.Buffers.Binary;
using Dupa.Core.Errors;
using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Storage;

/// <summary>One blob's place in a pack, as the pack trailer and the index record it.</summary>
public readonly record struct PackEntry(ChunkId Id, long Offset, int Length, BlobKind Kind);

/// <summary>A finished pack: its name (SHA-256 of its content, hex), size and blobs.</summary>
public sealed record PackInfo(string Hash, long Size, IReadOnlyList<PackEntry> Entries);

/// <summary>The pack layout of docs/format.md (Packs): magic, blobs, a plaintext trailer, the count, an end magic.</summary>
public static class PackFormat
{
    public const int HeaderSize = 12;
    public const int TrailerEntrySize = 48;
    public const int FooterSize = 12;
    public const uint Version = 1;
    public static ReadOnlySpan<byte> Magic => "DUPAPACK"u8;
    public static ReadOnlySpan<byte> EndMagic => "DUPAPEND"u8;

    public static string RelativePath(string hash) => Path.Combine("packs", hash[..2], hash + ".pack");

    public static void WriteHeader(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
    }

    public static void WriteTrailerEntry(PackEntry entry, Span<byte> destination)
    {
        entry.Id.Write(destination);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], entry.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[40..], entry.Length);
        destination[44] = (byte)entry.Kind;
        destination.Slice(45, 3).Clear();
    }

    /// <summary>Reads and checks a pack's trailer (not its blobs). Throws an integrity error naming the pack.</summary>
    public static List<PackEntry> ReadTrailer(string packPath, string name)
    {
        using var handle = File.OpenHandle(packPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadTrailer(handle, name);
    }

    /// <summary>Reads and checks the trailer of a pack already open (verify reads the blobs through the same handle).</summary>
    public static List<PackEntry> ReadTrailer(SafeFileHandle handle, string name)
    {
        var length = RandomAccess.GetLength(handle);
        Span<byte> fixedPart = stackalloc byte[HeaderSize];
        if (length < HeaderSize + FooterSize || RandomAccess.Read(handle, fixedPart, 0) != HeaderSize || !fixedPart[..8].SequenceEqual(Magic))
        {
            throw Damaged(name, "not a pack (bad magic or truncated)");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[8..]) != Version)
        {
            throw Damaged(name, "unknown pack version");
        }
        Span<byte> footer = stackalloc byte[FooterSize];
        RandomAccess.Read(handle, footer, length - FooterSize);
        var count = BinaryPrimitives.ReadInt32LittleEndian(footer);
        if (!footer[4..].SequenceEqual(EndMagic) || count < 0 || HeaderSize + ((long)count * TrailerEntrySize) + FooterSize > length)
        {
            throw Damaged(name, "the pack trailer is damaged");
        }
        var trailer = new byte[count * TrailerEntrySize];
        var trailerStart = length - FooterSize - trailer.Length;
        RandomAccess.Read(handle, trailer, trailerStart);
        var entries = new List<PackEntry>(count);
        var expectedOffset = (long)HeaderSize;
        for (var i = 0; i < count; i++)
        {
            var span = trailer.AsSpan(i * TrailerEntrySize, TrailerEntrySize);
            var entry = new PackEntry(ChunkId.Read(span), BinaryPrimitives.ReadInt64LittleEndian(span[32..]), BinaryPrimitives.ReadInt32LittleEndian(span[40..]), (BlobKind)span[44]);
            if (entry.Offset != expectedOffset || entry.Length < ChunkCodec.Overhead || entry.Kind is not (BlobKind.Data or BlobKind.ChunkList))
            {
                throw Damaged(name, $"trailer entry {i} is inconsistent");
            }
            expectedOffset += entry.Length;
            entries.Add(entry);
        }
        if (expectedOffset != trailerStart)
        {
            throw Damaged(name, "the trailer does not cover the pack");
        }
        return entries;
    }

    public static IntegrityException Damaged(string name, string why) => new($"pack {name[..Math.Min(12, name.Length)]}", why);
}
