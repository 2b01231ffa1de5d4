using System.Buffers.Binary;
using System.Security.Cryptography;
using Dupa.Core.Compression;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;

namespace Dupa.Core.Storage;

/// <summary>
/// Chunk IDs and sealed chunks (docs/format.md, Chunks): a versioned header authenticated as associated data,
/// zstd where it pays, AES-256-GCM under a key used for this one chunk, a fresh random nonce each time.
/// A chunk is sealed under the ring's newest key epoch, which its header names. Thread-safe: the ring's epochs
/// only grow, and nothing else changes.
/// </summary>
public sealed class ChunkCodec
{
    public const int HeaderSize = 20;
    public const int TagSize = 16;
    public const int Overhead = HeaderSize + TagSize;
    private const byte Version = 1;
    private const byte NoCompression = 0;
    private const byte ZstdCompression = 1;

    /// <summary>
    /// zstd level 2, not 3: on the benchmark corpus's text it compresses about a third faster for 0.3–0.5 % more
    /// output, which took a first put's CPU from 5.9–6.2 s to 5.0–5.2 s (4 pairs, warm cache) for 0.1–0.3 % more
    /// bytes stored. Any level reads back the same way.
    /// </summary>
    private const int CompressionLevel = 2;

    private readonly KeyRing _keys;
    private readonly byte[] _idKey;
    private readonly Func<int>? _vaultEpoch;

    /// <param name="keys">The keys to seal and open with.</param>
    /// <param name="vaultEpoch">
    /// The newest key epoch the vault's header names, when known: a chunk naming a later epoch than both it and the
    /// keys is damaged, not sealed under a key this device lacks.
    /// </param>
    public ChunkCodec(KeyRing keys, Func<int>? vaultEpoch = null)
    {
        _keys = keys;
        _idKey = keys.ChunkId;
        _vaultEpoch = vaultEpoch;
    }

    public ChunkId ComputeId(ReadOnlySpan<byte> plaintext)
    {
        Span<byte> mac = stackalloc byte[ChunkId.Size];
        HMACSHA256.HashData(_idKey, plaintext, mac);
        return ChunkId.Read(mac);
    }

    /// <summary>A destination of this size always holds the sealed form of a plaintext of <paramref name="plainLength"/> bytes.</summary>
    public static int MaxSealedSize(int plainLength) => Overhead + plainLength;

    /// <summary>Where <see cref="Seal"/> expects the plaintext in its buffer: after the header, where the body goes.</summary>
    public const int PlaintextOffset = HeaderSize;

    /// <summary>
    /// Seals in place: <paramref name="buffer"/> (at least <see cref="MaxSealedSize"/>) holds the plaintext at
    /// <see cref="PlaintextOffset"/> and ends up holding the sealed chunk from its start; returns the sealed length.
    /// zstd writes into a pooled scratch buffer, copied back only where compression pays, and AES-GCM encrypts in
    /// place, so a chunk waiting to be written costs one buffer, not three.
    /// </summary>
    public int Seal(ChunkId id, BlobKind kind, Span<byte> buffer, int plainLength)
    {
        var body = buffer.Slice(PlaintextOffset, plainLength);
        var bodyLength = plainLength;
        var compression = NoCompression;
        if (plainLength >= 64)
        {
            // Keep compression only where it saves at least 1/32 (3%): below that it costs reads for nothing. Given no
            // more room than that, zstd gives up on the rest (random bytes, media) by itself.
            var room = plainLength - (plainLength / 32);
            var scratch = ChunkBuffers.Pool.Rent(room);
            try
            {
                if (Zstd.TryCompress(body, scratch.AsSpan(0, room), CompressionLevel, out var compressed))
                {
                    scratch.AsSpan(0, compressed).CopyTo(body);
                    bodyLength = compressed;
                    compression = ZstdCompression;
                }
            }
            finally
            {
                ChunkBuffers.Pool.Return(scratch);
            }
        }
        body = body[..bodyLength];
        var header = buffer[..HeaderSize];
        header[0] = Version;
        header[1] = (byte)kind;
        header[2] = compression;
        header[3] = (byte)_keys.Epoch;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], plainLength);
        RandomNumberGenerator.Fill(header.Slice(8, 12));

        Span<byte> key = stackalloc byte[KeyRing.KeySize];
        Span<byte> ad = stackalloc byte[HeaderSize + ChunkId.Size];
        DeriveKeyAndAd(id, header, key, ad);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(header.Slice(8, 12), body, body, buffer.Slice(HeaderSize + bodyLength, TagSize), ad);
        CryptographicOperations.ZeroMemory(key);
        return HeaderSize + bodyLength + TagSize;
    }

    /// <summary>The plaintext length a sealed blob declares (checked when it is opened).</summary>
    public static int PlainLength(ReadOnlySpan<byte> sealedBlob) =>
        sealedBlob.Length < Overhead ? -1 : BinaryPrimitives.ReadInt32LittleEndian(sealedBlob[4..]);

    /// <summary>
    /// Authenticates and opens a sealed blob into <paramref name="plaintext"/> (at least <see cref="PlainLength"/>
    /// bytes), checks its kind and recomputes its ID. Any failure is an <see cref="IntegrityException"/> naming
    /// <paramref name="where"/>; wrong plaintext is never returned.
    /// </summary>
    public int Open(ChunkId id, BlobKind expectedKind, ReadOnlySpan<byte> sealedBlob, Span<byte> plaintext, string where)
    {
        if (sealedBlob.Length < Overhead || sealedBlob[0] != Version)
        {
            throw Damaged(id, where, "unknown blob version or truncated blob");
        }
        var header = sealedBlob[..HeaderSize];
        var plainLength = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        var bodyLength = sealedBlob.Length - Overhead;
        var compressedBody = header[2] == ZstdCompression;
        if (plainLength < 0 || plainLength > plaintext.Length || header[2] > ZstdCompression || (!compressedBody && bodyLength != plainLength))
        {
            throw Damaged(id, where, "the blob header is damaged");
        }

        Span<byte> key = stackalloc byte[KeyRing.KeySize];
        Span<byte> ad = stackalloc byte[HeaderSize + ChunkId.Size];
        // A key epoch this ring lacks is damage if the vault never had it; otherwise the key was rotated since this
        // device was given it, and a KeyRotated error says so.
        if (header[3] > _keys.Epoch && _vaultEpoch is { } vaultEpoch && header[3] > vaultEpoch())
        {
            throw Damaged(id, where, $"its header names key epoch {header[3]}, which the vault has never had");
        }
        DeriveKeyAndAd(id, header, key, ad);
        var compressed = header[2] == ZstdCompression;
        var rented = compressed ? ChunkBuffers.Pool.Rent(bodyLength) : null;
        try
        {
            var body = compressed ? rented.AsSpan(0, bodyLength) : plaintext[..bodyLength];
            using (var aes = new AesGcm(key, TagSize))
            {
                try
                {
                    aes.Decrypt(header.Slice(8, 12), sealedBlob.Slice(HeaderSize, bodyLength), sealedBlob[(HeaderSize + bodyLength)..], body, ad);
                }
                catch (AuthenticationTagMismatchException)
                {
                    throw Damaged(id, where, "authentication failed (the stored bytes were altered)");
                }
            }
            if (header[1] != (byte)expectedKind)
            {
                throw Damaged(id, where, $"expected a {expectedKind} blob, found kind {header[1]}");
            }
            if (compressed)
            {
                int written;
                try
                {
                    written = Zstd.Decompress(body, plaintext[..plainLength]);
                }
                catch (InvalidDataException e)
                {
                    throw Damaged(id, where, "decompression failed: " + e.Message);
                }
                if (written != plainLength)
                {
                    throw Damaged(id, where, "the decompressed length does not match");
                }
            }
            if (ComputeId(plaintext[..plainLength]) != id)
            {
                throw Damaged(id, where, "the content does not match its ID");
            }
            return plainLength;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (rented is not null)
            {
                ChunkBuffers.Pool.Return(rented);
            }
        }
    }

    private void DeriveKeyAndAd(ChunkId id, ReadOnlySpan<byte> header, Span<byte> key, Span<byte> ad)
    {
        Span<byte> idBytes = stackalloc byte[ChunkId.Size];
        id.Write(idBytes);
        KeyRing.ExpandPerObjectKey(_keys.ChunkSealOf(header[3]), "dupa/v1/chunk", idBytes, key);
        header.CopyTo(ad);
        idBytes.CopyTo(ad[HeaderSize..]);
    }

    private static IntegrityException Damaged(ChunkId id, string where, string why) => new($"chunk {id.Short} in {where}", why);
}
