using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;

namespace Dupa.Core.Vaults;

/// <summary>
/// A vault's key ring from its header and a secret, and the header's key epochs (docs/format.md, Keys and Key
/// epochs). The passphrase and recovery slots wrap the root key, which opens every epoch; a member or user is
/// given one epoch's key, which opens that epoch and, down the chain, every older one.
/// </summary>
internal static class VaultKeys
{
    public static KeyRing Unlock(VaultHeader header, VaultSecret secret)
    {
        var vaultId = header.VaultIdBytes;
        byte[]? root;
        switch (secret)
        {
            case PassphraseSecret passphrase:
                {
                    var kek = KeyWrap.PassphraseKek(passphrase.Value, Convert.FromBase64String(header.Kdf.Salt), header.Kdf.ToParameters());
                    root = KeyWrap.TryUnwrap(kek, Convert.FromBase64String(header.Slots.Passphrase), "passphrase", vaultId);
                    CryptographicOperations.ZeroMemory(kek);
                    if (root is null)
                    {
                        throw new DupaException(ErrorCode.WrongPassphrase, "wrong passphrase");
                    }
                    break;
                }
            case RecoveryKeySecret recovery:
                {
                    var kek = KeyWrap.RecoveryKek(recovery.Key, vaultId);
                    root = KeyWrap.TryUnwrap(kek, Convert.FromBase64String(header.Slots.Recovery), "recovery", vaultId);
                    CryptographicOperations.ZeroMemory(kek);
                    if (root is null)
                    {
                        throw new DupaException(ErrorCode.WrongPassphrase, "wrong recovery key for this vault");
                    }
                    break;
                }
            case WrappedKeySecret wrapped:
                return FromWrapped(header, wrapped);
            default:
                throw new ArgumentException("Unknown secret.", nameof(secret));
        }
        try
        {
            return FromRoot(header, root);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(root);
        }
    }

    /// <summary>The slot name of a key wrapped to a public key at <paramref name="epoch"/>: the epoch is bound into the associated data from epoch 1 on.</summary>
    public static string SlotAt(string slot, int epoch) => epoch == 0 ? slot : $"{slot}@{epoch}";

    /// <summary>Epoch 0 of a new vault: its key wrapped under the root key.</summary>
    public static KeyEpoch FirstEpoch(ReadOnlySpan<byte> root, ReadOnlySpan<byte> epochKey, ReadOnlySpan<byte> vaultId) =>
        new(WrapUnderRoot(root, epochKey, 0, vaultId), null);

    /// <summary>The next epoch after the ring's newest, for <paramref name="newKey"/>: under the root, and chained to the previous key.</summary>
    public static KeyEpoch NextEpoch(KeyRing keys, ReadOnlySpan<byte> newKey, ReadOnlySpan<byte> vaultId)
    {
        var epoch = keys.Epoch + 1;
        var chainKek = KeyRing.Derive(newKey, vaultId, "epoch-chain");
        try
        {
            return new KeyEpoch(WrapUnderRoot(keys.Root, newKey, epoch, vaultId),
                Convert.ToBase64String(KeyWrap.Wrap(chainKek, keys.EpochKey(epoch - 1), PreviousSlot(epoch), vaultId)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(chainKek);
        }
    }

    private static string WrapUnderRoot(ReadOnlySpan<byte> root, ReadOnlySpan<byte> epochKey, int epoch, ReadOnlySpan<byte> vaultId)
    {
        var kek = KeyRing.Derive(root, vaultId, "epoch-wrap");
        try
        {
            return Convert.ToBase64String(KeyWrap.Wrap(kek, epochKey, EpochSlot(epoch), vaultId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static KeyRing FromRoot(VaultHeader header, byte[] root)
    {
        var vaultId = header.VaultIdBytes;
        if (header.Epochs is null)
        {
            // Made before key epochs: the slots wrap the epoch-0 key itself.
            return new KeyRing([root.ToArray()], root, vaultId);
        }
        var kek = KeyRing.Derive(root, vaultId, "epoch-wrap");
        try
        {
            var keys = header.Epochs.Select((epoch, e) => KeyWrap.TryUnwrap(kek, Convert.FromBase64String(epoch.Root), EpochSlot(e), vaultId)
                ?? throw new IntegrityException("vault header", $"key epoch {e} does not open under the vault's root key")).ToList();
            return new KeyRing(keys, root, vaultId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static KeyRing FromWrapped(VaultHeader header, WrappedKeySecret wrapped)
    {
        var vaultId = header.VaultIdBytes;
        for (var epoch = header.Epoch; epoch >= 0; epoch--)
        {
            if (PublicKeyWrap.TryUnwrap(wrapped.Recipient, wrapped.WrappedKey, SlotAt(wrapped.Slot, epoch), vaultId) is { } key)
            {
                return FromEpochKey(header, epoch, key);
            }
        }
        throw new DupaException(ErrorCode.WrongPassphrase, "the wrapped key does not open this vault");
    }

    /// <summary>A ring of epochs 0..<paramref name="epoch"/>, walking the chain down from that epoch's key (which it takes over).</summary>
    private static KeyRing FromEpochKey(VaultHeader header, int epoch, byte[] key)
    {
        var vaultId = header.VaultIdBytes;
        var keys = new byte[epoch + 1][];
        keys[epoch] = key;
        for (var e = epoch; e > 0; e--)
        {
            var chainKek = KeyRing.Derive(keys[e], vaultId, "epoch-chain");
            keys[e - 1] = KeyWrap.TryUnwrap(chainKek, Convert.FromBase64String(header.Epochs![e].Previous!), PreviousSlot(e), vaultId)
                ?? throw new IntegrityException("vault header", $"key epoch {e - 1} does not open under the key of epoch {e}");
            CryptographicOperations.ZeroMemory(chainKek);
        }
        return new KeyRing(keys, root: null, vaultId);
    }

    private static string EpochSlot(int epoch) => $"epoch-{epoch}";

    private static string PreviousSlot(int epoch) => $"previous-{epoch}";
}
