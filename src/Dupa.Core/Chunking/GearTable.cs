using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dupa.Core.Chunking;

/// <summary>
/// The gear hash's table: 256 random 64-bit values derived from the vault's chunker key, so that chunk
/// boundaries depend on a secret and reveal nothing about the content (docs/chunking.md).
/// </summary>
public sealed class GearTable
{
    public const int SeedSize = 32;

    private GearTable(ulong[] values) => Values = values;

    internal ulong[] Values { get; }

    /// <summary>value[i] = little-endian UInt64 at bytes [8i, 8i+8) of HKDF-Expand(SHA-256, seed, "dupa/v1/gear-table", 2048).</summary>
    public static GearTable Derive(ReadOnlySpan<byte> seedKey)
    {
        if (seedKey.Length != SeedSize)
        {
            throw new ArgumentException("The chunker seed is 32 bytes.", nameof(seedKey));
        }
        Span<byte> bytes = stackalloc byte[256 * 8];
        HKDF.Expand(HashAlgorithmName.SHA256, seedKey, bytes, "dupa/v1/gear-table"u8);
        var values = new ulong[256];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        }
        return new GearTable(values);
    }

    public ulong this[int index] => Values[index];
}
