using System.Buffers.Binary;
using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;

namespace Dupa.Core.Manifest;

/// <summary>
/// A signed, hash-chained log entry (docs/format.md, Logs). The header is readable without the key; the
/// payload is sealed with a key used for this entry only, from the key epoch the header names; the device
/// signs header and payload. Entries of epoch 0 are written in version 1 (no epoch byte), later ones in version 2.
/// </summary>
public sealed class LogEntry
{
    /// <summary>The header of a version 1 entry; version 2 adds the key epoch, one byte.</summary>
    public const int HeaderSize = 105;
    private const byte Version1 = 1;
    private const byte Version2 = 2;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    public const int MaxSize = 16 * 1024 * 1024;

    private LogEntry(byte[] bytes, int headerLength, int epoch, byte[] vaultId, DeviceId device, long sequence, byte[] previousHash, Hlc clock)
    {
        HeaderLength = headerLength;
        Epoch = epoch;
        Bytes = bytes;
        VaultId = vaultId;
        Device = device;
        Sequence = sequence;
        PreviousHash = previousHash;
        Clock = clock;
        Hash = SHA256.HashData(bytes);
    }

    /// <summary>The whole entry, signature included.</summary>
    public byte[] Bytes { get; }
    public byte[] VaultId { get; }
    public DeviceId Device { get; }
    public long Sequence { get; }
    public byte[] PreviousHash { get; }
    public Hlc Clock { get; }
    public byte[] Hash { get; }

    /// <summary>The key epoch the payload is sealed under (docs/format.md, Key epochs).</summary>
    public int Epoch { get; }

    /// <summary>The readable, authenticated header's length: 105 bytes, or 106 with an epoch.</summary>
    public int HeaderLength { get; }

    public string Name => $"log {Device.Hex[..12]} entry {Sequence}";

    /// <summary>An entry sealed under the ring's newest epoch.</summary>
    public static LogEntry Create(ReadOnlySpan<byte> vaultId, DeviceKey device, long sequence, ReadOnlySpan<byte> previousHash, Hlc clock, ReadOnlySpan<byte> payload, KeyRing keys) =>
        Create(vaultId, device, sequence, previousHash, clock, payload, keys.Epoch, keys.LogSeal);

    public static LogEntry Create(ReadOnlySpan<byte> vaultId, DeviceKey device, long sequence, ReadOnlySpan<byte> previousHash, Hlc clock, ReadOnlySpan<byte> payload, int epoch, ReadOnlySpan<byte> logSealKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epoch, byte.MaxValue);
        var headerSize = epoch == 0 ? HeaderSize : HeaderSize + 1;
        var sealedLength = NonceSize + payload.Length + TagSize;
        var bytes = new byte[headerSize + sealedLength + DeviceKey.SignatureSize];
        var span = bytes.AsSpan();
        span[0] = epoch == 0 ? Version1 : Version2;
        vaultId.CopyTo(span[1..17]);
        device.Id.Bytes.CopyTo(span[17..49]);
        BinaryPrimitives.WriteInt64LittleEndian(span[49..], sequence);
        previousHash.CopyTo(span[57..89]);
        BinaryPrimitives.WriteInt64LittleEndian(span[89..], clock.WallMs);
        BinaryPrimitives.WriteUInt32LittleEndian(span[97..], clock.Counter);
        BinaryPrimitives.WriteInt32LittleEndian(span[101..], sealedLength);
        if (epoch > 0)
        {
            span[HeaderSize] = (byte)epoch;
        }

        var nonce = span.Slice(headerSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> key = stackalloc byte[KeyRing.KeySize];
        PayloadKey(logSealKey, device.Id, sequence, key);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, payload, span.Slice(headerSize + NonceSize, payload.Length), span.Slice(headerSize + NonceSize + payload.Length, TagSize), span[..headerSize]);
        }
        CryptographicOperations.ZeroMemory(key);
        device.Sign(span[..(headerSize + sealedLength)], span[(headerSize + sealedLength)..]);
        return Parse(bytes, "new entry");
    }

    /// <summary>Parses an entry's structure (not its signature or payload). Throws an integrity error naming it.</summary>
    public static LogEntry Parse(byte[] bytes, string where)
    {
        var headerSize = bytes.Length > 0 && bytes[0] == Version2 ? HeaderSize + 1 : HeaderSize;
        if (bytes.Length < headerSize + NonceSize + TagSize + DeviceKey.SignatureSize || bytes[0] is not (Version1 or Version2))
        {
            throw new IntegrityException(where, "malformed log entry (bad version or too short)");
        }
        var epoch = headerSize == HeaderSize ? 0 : bytes[HeaderSize];
        if (headerSize != HeaderSize && epoch == 0)
        {
            throw new IntegrityException(where, "malformed log entry (a version 2 entry of epoch 0)");
        }
        var sealedLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(101));
        if (sealedLength < NonceSize + TagSize || headerSize + (long)sealedLength + DeviceKey.SignatureSize != bytes.Length)
        {
            throw new IntegrityException(where, "malformed log entry (lengths disagree)");
        }
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(49));
        if (sequence < 1)
        {
            throw new IntegrityException(where, "malformed log entry (bad sequence number)");
        }
        var wall = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(89));
        var counter = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(97));
        return new LogEntry(bytes, headerSize, epoch, bytes[1..17], new DeviceId(bytes.AsSpan(17, 32)), sequence, bytes[57..89], new Hlc(wall, counter));
    }

    /// <summary>Checks the device's signature over header and sealed payload.</summary>
    public bool VerifySignature(DeviceKey publicKey)
    {
        var signed = Bytes.Length - DeviceKey.SignatureSize;
        return publicKey.Id == Device && publicKey.Verify(Bytes.AsSpan(0, signed), Bytes.AsSpan(signed));
    }

    /// <summary>Opens the payload with the key of its epoch; an integrity error if it fails authentication.</summary>
    public byte[] OpenPayload(KeyRing keys) => OpenPayload(keys.LogSealOf(Epoch));

    /// <summary>Opens the payload; an integrity error if it fails authentication.</summary>
    public byte[] OpenPayload(ReadOnlySpan<byte> logSealKey)
    {
        var sealedLength = Bytes.Length - HeaderLength - DeviceKey.SignatureSize;
        var plaintext = new byte[sealedLength - NonceSize - TagSize];
        Span<byte> key = stackalloc byte[KeyRing.KeySize];
        PayloadKey(logSealKey, Device, Sequence, key);
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(Bytes.AsSpan(HeaderLength, NonceSize), Bytes.AsSpan(HeaderLength + NonceSize, plaintext.Length), Bytes.AsSpan(HeaderLength + NonceSize + plaintext.Length, TagSize), plaintext, Bytes.AsSpan(0, HeaderLength));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new IntegrityException(Name, "the payload failed authentication");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
        return plaintext;
    }

    private static void PayloadKey(ReadOnlySpan<byte> logSealKey, DeviceId device, long sequence, Span<byte> key)
    {
        Span<byte> suffix = stackalloc byte[DeviceId.Size + 8];
        device.Bytes.CopyTo(suffix);
        BinaryPrimitives.WriteInt64LittleEndian(suffix[DeviceId.Size..], sequence);
        KeyRing.ExpandPerObjectKey(logSealKey, "dupa/v1/entry", suffix, key);
    }
}
