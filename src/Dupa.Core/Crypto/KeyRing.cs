using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Errors;

namespace Dupa.Core.Crypto;

/// <summary>
/// The keys of an unlocked vault (docs/format.md, Keys): the epoch keys it holds and the subkeys derived from
/// them, and the root key when the vault was opened with its passphrase or recovery key. Subkeys that name or
/// locate data (chunk IDs, the chunker, the index, the device key, node notes) come from epoch 0 and never
/// change; the keys that seal chunks and log entries come from each epoch's own key, so a key rotation keeps
/// whoever holds only older epoch keys out of everything written afterwards. Keys live only in memory and are
/// zeroed on dispose.
/// </summary>
public sealed class KeyRing : IDisposable
{
    public const int KeySize = 32;

    /// <summary>Epochs a vault can have: the epoch is one byte of every sealed chunk.</summary>
    public const int MaxEpochs = 256;

    private readonly byte[] _vaultId;
    private readonly byte[]? _root;
    private volatile EpochKeys[] _epochs;

    /// <summary>A ring of one epoch key and no root: the format's vectors, benchmarks, and vaults made before epochs.</summary>
    public KeyRing(ReadOnlySpan<byte> epochZeroKey, ReadOnlySpan<byte> vaultId)
        : this([epochZeroKey.ToArray()], root: null, vaultId)
    {
    }

    /// <summary>A ring holding epochs 0..n (<paramref name="epochKeys"/>, which it takes over) and, for the owner, the root key.</summary>
    public KeyRing(IReadOnlyList<byte[]> epochKeys, byte[]? root, ReadOnlySpan<byte> vaultId)
    {
        if (epochKeys.Count == 0 || epochKeys.Count > MaxEpochs || epochKeys.Any(k => k.Length != KeySize) || root is { Length: not KeySize })
        {
            throw new ArgumentException("Epoch and root keys are 32 bytes, 1 to 256 epochs.", nameof(epochKeys));
        }
        _vaultId = vaultId.ToArray();
        _root = root?.ToArray();
        _epochs = [.. epochKeys.Select(k => new EpochKeys(k, _vaultId))];
        var zero = epochKeys[0];
        ChunkId = Derive(zero, _vaultId, "chunk-id");
        ChunkerSeed = Derive(zero, _vaultId, "chunker-seed");
        Index = Derive(zero, _vaultId, "index");
        DeviceSeal = Derive(zero, _vaultId, "device-seal");
        NodeNote = Derive(zero, _vaultId, "node-note");
    }

    /// <summary>The newest epoch this ring holds; new chunks and entries are sealed under it.</summary>
    public int Epoch => _epochs.Length - 1;

    /// <summary>Whether the ring holds the root key (opened with the passphrase or the recovery key).</summary>
    public bool HasRoot => _root is not null;

    /// <summary>The root key: what the passphrase and recovery slots wrap. Only the owner's rings hold it.</summary>
    public ReadOnlySpan<byte> Root => _root ?? throw new DupaException(ErrorCode.Forbidden,
        "this needs the vault's passphrase or recovery key (a key shared with a member or user cannot do it)");

    /// <summary>The key of an epoch this ring holds.</summary>
    public ReadOnlySpan<byte> EpochKey(int epoch) => At(epoch).Key;

    /// <summary>The newest epoch's key: what members and users of the vault are given (docs/format.md, Wrapping to a public key).</summary>
    public ReadOnlySpan<byte> CurrentEpochKey => EpochKey(Epoch);

    public byte[] ChunkId { get; }
    public byte[] ChunkerSeed { get; }
    public byte[] Index { get; }
    public byte[] DeviceSeal { get; }

    /// <summary>AES key of the notes a node keeps about a vault outside it (<c>Vault.SealNote</c>).</summary>
    public byte[] NodeNote { get; }

    /// <summary>The PRK sealing chunks of the newest epoch.</summary>
    public byte[] ChunkSeal => ChunkSealOf(Epoch);

    /// <summary>The PRK sealing log entries of the newest epoch.</summary>
    public byte[] LogSeal => LogSealOf(Epoch);

    public byte[] ChunkSealOf(int epoch) => At(epoch).ChunkSeal;

    public byte[] LogSealOf(int epoch) => At(epoch).LogSeal;

    /// <summary>Adds the key of the next epoch (a rotation); from now on new data is sealed under it.</summary>
    public void AddEpoch(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize || _epochs.Length >= MaxEpochs)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"a vault has at most {MaxEpochs} key epochs");
        }
        _epochs = [.. _epochs, new EpochKeys(key.ToArray(), _vaultId)];
    }

    /// <summary>A fresh random 32-byte key (root or epoch key).</summary>
    public static byte[] NewMasterKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>HKDF-Expand(prk, info || suffix), 32 bytes: one key per chunk or per log entry.</summary>
    public static void ExpandPerObjectKey(ReadOnlySpan<byte> prk, string info, ReadOnlySpan<byte> suffix, Span<byte> key)
    {
        Span<byte> buffer = stackalloc byte[64 + 48];
        var infoLength = Encoding.ASCII.GetBytes(info, buffer);
        suffix.CopyTo(buffer[infoLength..]);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, key, buffer[..(infoLength + suffix.Length)]);
    }

    /// <summary>HKDF(key, vaultId, "dupa/v1/" || label), 32 bytes (docs/format.md, Keys).</summary>
    public static byte[] Derive(ReadOnlySpan<byte> key, ReadOnlySpan<byte> vaultId, string label)
    {
        var derived = new byte[KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, derived, vaultId, Encoding.ASCII.GetBytes("dupa/v1/" + label));
        return derived;
    }

    private EpochKeys At(int epoch)
    {
        var epochs = _epochs;
        return epoch >= 0 && epoch < epochs.Length
            ? epochs[epoch]
            : throw new DupaException(ErrorCode.KeyRotated,
                $"data sealed under key epoch {epoch} cannot be read with this key (it holds epochs up to {epochs.Length - 1}): the vault's key was rotated; ask its owner to share it again");
    }

    public void Dispose()
    {
        if (_root is not null)
        {
            CryptographicOperations.ZeroMemory(_root);
        }
        foreach (var epoch in _epochs)
        {
            epoch.Dispose();
        }
        CryptographicOperations.ZeroMemory(ChunkId);
        CryptographicOperations.ZeroMemory(ChunkerSeed);
        CryptographicOperations.ZeroMemory(Index);
        CryptographicOperations.ZeroMemory(DeviceSeal);
        CryptographicOperations.ZeroMemory(NodeNote);
    }

    private sealed class EpochKeys(byte[] key, byte[] vaultId) : IDisposable
    {
        public byte[] Key { get; } = key;
        public byte[] ChunkSeal { get; } = Derive(key, vaultId, "chunk-seal");
        public byte[] LogSeal { get; } = Derive(key, vaultId, "log-seal");

        public void Dispose()
        {
            CryptographicOperations.ZeroMemory(Key);
            CryptographicOperations.ZeroMemory(ChunkSeal);
            CryptographicOperations.ZeroMemory(LogSeal);
        }
    }
}
