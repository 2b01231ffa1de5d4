using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dupa.Core.Chunking;

/// <summary>
/// The gear hash's table: 256 pseudo-random 64-bit values derived from the vault's chunker seed key, so that
/// chunk boundaries depend on a secret and reveal nothing about the content (docs/chunking.md).
/// </summary>
public sealed class GearTable
{
    public const int SeedSize = 32;

    private static ReadOnlySpan<byte> Info => "dupa/v1/gear-table"u8;

    private GearTable(ulong[] values) => Values = values;

    internal ulong[] Values { get; }

    public ulong this[int index] => Values[index];

    /// <summary>
    /// value[i] = the little-endian UInt64 at bytes [8i, 8i+8) of
    /// HKDF-Expand(SHA-256, PRK = <paramref name="seedKey"/>, info = "dupa/v1/gear-table", L = 2048).
    /// </summary>
    /// <exception cref="ArgumentException">The seed key is not 32 bytes.</exception>
    public static GearTable Derive(ReadOnlySpan<byte> seedKey)
    {
        if (seedKey.Length != SeedSize)
        {
            throw new ArgumentException($"The chunker seed key is {SeedSize} bytes, not {seedKey.Length}.", nameof(seedKey));
        }
        Span<byte> bytes = stackalloc byte[256 * sizeof(ulong)];
        HKDF.Expand(HashAlgorithmName.SHA256, seedKey, bytes, Info);
        var values = new ulong[256];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * sizeof(ulong))..]);
        }
        CryptographicOperations.ZeroMemory(bytes);
        return new GearTable(values);
    }
}
