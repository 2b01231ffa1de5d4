using System.Security.Cryptography;
using System.Text;

namespace Dupa.Core.Crypto;

/// <summary>
/// Wraps the master key under a key-encryption key: nonce(12) || AES-GCM(kek, M, ad) (docs/format.md, Keys).
/// </summary>
public static class KeyWrap
{
    public const int WrappedSize = 12 + KeyRing.KeySize + 16;

    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> masterKey, string slot, ReadOnlySpan<byte> vaultId)
    {
        var wrapped = new byte[WrappedSize];
        var nonce = wrapped.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek, 16);
        aes.Encrypt(nonce, masterKey, wrapped.AsSpan(12, KeyRing.KeySize), wrapped.AsSpan(12 + KeyRing.KeySize), AssociatedData(slot, vaultId));
        return wrapped;
    }

    /// <summary>Returns the master key, or null when the key-encryption key is wrong (or the slot was altered).</summary>
    public static byte[]? TryUnwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, string slot, ReadOnlySpan<byte> vaultId)
    {
        if (wrapped.Length != WrappedSize)
        {
            return null;
        }
        var master = new byte[KeyRing.KeySize];
        using var aes = new AesGcm(kek, 16);
        try
        {
            aes.Decrypt(wrapped[..12], wrapped.Slice(12, KeyRing.KeySize), wrapped[(12 + KeyRing.KeySize)..], master.AsSpan(), AssociatedData(slot, vaultId));
            return master;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    /// <summary>
    /// The passphrase's wrapping key: Argon2id over its UTF-8 bytes, which are zeroed as soon as they are used.
    /// The caller zeroes the returned key after wrapping or unwrapping.
    /// </summary>
    public static byte[] PassphraseKek(string passphrase, ReadOnlySpan<byte> salt, Argon2Parameters parameters)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(passphrase);
        var kek = new byte[KeyRing.KeySize];
        try
        {
            Argon2id.DeriveKey(bytes, salt, parameters, kek);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
        return kek;
    }

    /// <summary>The recovery key's wrapping key: HKDF(R, vaultId, "dupa/v1/recovery-kek").</summary>
    public static byte[] RecoveryKek(ReadOnlySpan<byte> recoveryKey, ReadOnlySpan<byte> vaultId)
    {
        var kek = new byte[KeyRing.KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, recoveryKey, kek, vaultId, "dupa/v1/recovery-kek"u8);
        return kek;
    }

    private static byte[] AssociatedData(string slot, ReadOnlySpan<byte> vaultId) =>
        [.. Encoding.ASCII.GetBytes("dupa/v1/wrap/" + slot), .. vaultId];
}
