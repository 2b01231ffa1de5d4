using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dupa.Core.Chunking;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Core.Vaults;

/// <summary>The vault header, <c>vault.hdr</c>: readable without the key (docs/format.md, The header).</summary>
public sealed record VaultHeader
{
    public const ushort FormatVersion = 1;
    public const string FileName = "vault.hdr";
    private static ReadOnlySpan<byte> Magic => "DUPAVALT"u8;
    private const int PrefixSize = 14;
    private const int MaxBodySize = 64 * 1024;

    public required string VaultId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required KdfSettings Kdf { get; init; }
    public required ChunkerSettings Chunker { get; init; }
    public required int PackSize { get; init; }
    public required string GenesisDevice { get; init; }
    public required KeySlots Slots { get; init; }

    /// <summary>
    /// The key epochs, oldest first (docs/format.md, Key epochs); null in a vault made before epochs, whose slots
    /// wrap the epoch-0 key itself.
    /// </summary>
    public IReadOnlyList<KeyEpoch>? Epochs { get; init; }

    /// <summary>The device that may rotate the key (one, so two devices never rotate apart); null: the genesis device.</summary>
    public string? KeyDevice { get; init; }

    /// <summary>The newest key epoch: new data is sealed under it.</summary>
    [JsonIgnore]
    public int Epoch => Epochs is null ? 0 : Epochs.Count - 1;

    [JsonIgnore]
    public byte[] VaultIdBytes => Convert.FromHexString(VaultId);

    public byte[] Encode()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(this, HeaderJson.Default.VaultHeader);
        var bytes = new byte[PrefixSize + body.Length + 32];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), body.Length);
        body.CopyTo(bytes.AsSpan(PrefixSize));
        SHA256.HashData(bytes.AsSpan(0, PrefixSize + body.Length), bytes.AsSpan(PrefixSize + body.Length));
        return bytes;
    }

    /// <summary>Parses a header, telling a damaged header from a newer format or a file that is no vault at all.</summary>
    public static VaultHeader Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < PrefixSize || !bytes[..8].SequenceEqual(Magic))
        {
            throw new IntegrityException("vault header", "not a D.U.P.A vault header (bad magic or truncated)");
        }
        // The prefix and checksum layout is the same in every format version, so the checksum is checked first:
        // a flipped bit in the version field reads as damage, not as "made by a newer dupa".
        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[10..]);
        if (bodyLength <= 0 || bodyLength > MaxBodySize || bytes.Length != PrefixSize + bodyLength + 32)
        {
            throw new IntegrityException("vault header", "the header is damaged (bad length)");
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes[..(PrefixSize + bodyLength)], hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, bytes[(PrefixSize + bodyLength)..]))
        {
            throw new IntegrityException("vault header", "the header is damaged (checksum mismatch)");
        }
        if (version > FormatVersion)
        {
            throw new DupaException(ErrorCode.UnsupportedVersion, $"vault format version {version} is newer than this dupa supports ({FormatVersion}); upgrade dupa");
        }
        if (version == 0)
        {
            throw new IntegrityException("vault header", "the header is damaged (version 0)");
        }
        try
        {
            var header = JsonSerializer.Deserialize(bytes.Slice(PrefixSize, bodyLength), HeaderJson.Default.VaultHeader)
                ?? throw new JsonException("empty");
            header.Validate();
            return header;
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or NullReferenceException)
        {
            throw new IntegrityException("vault header", "the header's content is malformed", e);
        }
    }

    public static VaultHeader Read(string vaultDirectory)
    {
        var path = Path.Combine(vaultDirectory, FileName);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DupaException(ErrorCode.NotFound, $"no vault at '{vaultDirectory}' ({FileName} is missing); create one with 'dupa init'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DupaException(ErrorCode.Io, $"cannot read the vault header: {e.Message}", e);
        }
        return Decode(bytes);
    }

    /// <summary>Replaces the header atomically: write a temporary file, fsync, rename, fsync the directory.</summary>
    public void Write(string vaultDirectory) => DurableFile.WriteAtomically(Path.Combine(vaultDirectory, FileName), Encode());

    private void Validate()
    {
        if (Convert.FromHexString(VaultId).Length != 16 || Convert.FromHexString(GenesisDevice).Length != 32)
        {
            throw new FormatException("bad vault or device ID");
        }
        if (Kdf.Algorithm != "argon2id" || Convert.FromBase64String(Kdf.Salt).Length != 16)
        {
            throw new FormatException("unknown key derivation");
        }
        _ = Chunker.ToParameters();
        _ = new Argon2Parameters(Kdf.Iterations, Kdf.MemoryKiB);
        // Bounds a forged header cannot exceed to make every unlock hang: 64 passes, 4 GiB.
        if (Kdf.Iterations > 64 || Kdf.MemoryKiB > 4 * 1024 * 1024)
        {
            throw new FormatException("key derivation cost out of range");
        }
        if (Convert.FromBase64String(Slots.Passphrase).Length != KeyWrap.WrappedSize || Convert.FromBase64String(Slots.Recovery).Length != KeyWrap.WrappedSize)
        {
            throw new FormatException("malformed key slot");
        }
        if (PackSize is < 1024 * 1024 or > 1024 * 1024 * 1024)
        {
            throw new FormatException("bad pack size");
        }
        if (Epochs is not null)
        {
            if (Epochs.Count is 0 or > KeyRing.MaxEpochs)
            {
                throw new FormatException("bad number of key epochs");
            }
            for (var e = 0; e < Epochs.Count; e++)
            {
                var epoch = Epochs[e] ?? throw new FormatException("empty key epoch");
                if (Convert.FromBase64String(epoch.Root).Length != KeyWrap.WrappedSize
                    || (e == 0) != (epoch.Previous is null)
                    || (epoch.Previous is not null && Convert.FromBase64String(epoch.Previous).Length != KeyWrap.WrappedSize))
                {
                    throw new FormatException("malformed key epoch");
                }
            }
        }
        if (KeyDevice is not null && Convert.FromHexString(KeyDevice).Length != 32)
        {
            throw new FormatException("bad key device");
        }
    }

    /// <summary>
    /// This header with the key epochs of <paramref name="other"/> (another device's copy of the same vault) when
    /// they extend this one's: a rotation made there. Slots stay this device's own. A shorter list changes nothing;
    /// lists that differ in an epoch both hold mean two devices rotated apart, which no device can merge.
    /// </summary>
    public VaultHeader WithEpochsOf(VaultHeader other)
    {
        if (other.VaultId != VaultId)
        {
            throw new IntegrityException("vault header", "the peer sent the header of another vault");
        }
        var mine = Epochs ?? [];
        var theirs = other.Epochs ?? [];
        for (var e = 0; e < Math.Min(mine.Count, theirs.Count); e++)
        {
            if (mine[e] != theirs[e])
            {
                throw new IntegrityException("vault header", $"key epoch {e} differs between two copies of the vault (its key was rotated on two devices apart)");
            }
        }
        return theirs.Count > mine.Count && Epochs is not null ? this with { Epochs = theirs, KeyDevice = other.KeyDevice } : this;
    }
}

public sealed record KdfSettings(string Algorithm, int Iterations, int MemoryKiB, string Salt)
{
    public Argon2Parameters ToParameters() => new(Iterations, MemoryKiB);
}

public sealed record ChunkerSettings(int MinSize, int AvgSize, int MaxSize)
{
    public ChunkerParameters ToParameters() => new(MinSize, AvgSize, MaxSize);

    public static ChunkerSettings From(ChunkerParameters p) => new(p.MinSize, p.AvgSize, p.MaxSize);
}

public sealed record KeySlots(string Passphrase, string Recovery);

/// <summary>
/// One key epoch: its key wrapped under the root key (what the owner opens) and, from epoch 1 on, the previous
/// epoch's key wrapped under this one's (so whoever holds an epoch's key can read everything before it).
/// </summary>
public sealed record KeyEpoch(string Root, string? Previous);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VaultHeader))]
internal sealed partial class HeaderJson : JsonSerializerContext;
