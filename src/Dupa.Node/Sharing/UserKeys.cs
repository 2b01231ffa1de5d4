using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Crypto;
using Dupa.Node.Data;

namespace Dupa.Node.Sharing;

/// <summary>
/// Each user's agreement key pair (docs/sharing.md, Keys). Vaults shared with a user are wrapped to its public
/// half; its PKCS#8 private half is sealed under a key derived from the user's password:
/// <code>
/// kek    = Argon2id(password, salt 16, t, m) (KeyWrap.PassphraseKek)
/// sealed = nonce(12) || AES-256-GCM(kek, nonce, pkcs8, ad = "dupa/v1/user-key" || user ID) || tag(16)
/// </code>
/// The node can open it only while it is given the password (at login, unlock or password change). A password
/// set by someone else (an admin reset) cannot open it: the user then gets a new pair and must be shared with again.
/// </summary>
public sealed class UserKeys(NodeDatabase database, NodeOptions options, TimeProvider time)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private Argon2Parameters Parameters => new(options.PasswordHashIterations, options.PasswordHashMemoryKiB);

    /// <summary>Makes a key pair for a user who has none (a new account, or an existing one at their first login since).</summary>
    public void EnsureFor(User user, string password)
    {
        if (database.FindUserKey(user.Id) is null)
        {
            Create(user, password);
        }
    }

    /// <summary>A new key pair sealed with <paramref name="password"/>, replacing any earlier one.</summary>
    public void Create(User user, string password)
    {
        using var key = AgreementKey.Create();
        var pkcs8 = key.ExportPrivateKey();
        try
        {
            Save(user, key.PublicKey, pkcs8, password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// Re-seals the private key under a new password (the pair, and every vault wrapped to it, stay). If the old
    /// password does not open it (it was sealed before an admin reset), a new pair is made instead.
    /// </summary>
    public void Reseal(User user, string oldPassword, string newPassword)
    {
        using var key = Open(user, oldPassword);
        if (key is null)
        {
            Create(user, newPassword);
            return;
        }
        var pkcs8 = key.ExportPrivateKey();
        try
        {
            Save(user, key.PublicKey, pkcs8, newPassword);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The user's key pair opened with their password, or null (no pair, or the password does not open it). The caller disposes it.</summary>
    public AgreementKey? Open(User user, string password)
    {
        if (database.FindUserKey(user.Id) is not { } record || record.SealedPrivateKey.Length < NonceSize + TagSize)
        {
            return null;
        }
        var kek = KeyWrap.PassphraseKek(password, record.Salt, new Argon2Parameters(record.Iterations, record.MemoryKiB));
        var sealedKey = record.SealedPrivateKey.AsSpan();
        var pkcs8 = new byte[sealedKey.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(kek, TagSize);
            aes.Decrypt(sealedKey[..NonceSize], sealedKey.Slice(NonceSize, pkcs8.Length), sealedKey[^TagSize..], pkcs8, AssociatedData(user.Id));
            return AgreementKey.FromPrivateKey(pkcs8);
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The user's public key (SubjectPublicKeyInfo), or null if they have no pair yet.</summary>
    public byte[]? PublicKeyOf(string userId) => database.FindUserKey(userId)?.PublicKey;

    /// <summary>The slot name a vault's key is wrapped under for a user: bound into the wrapping, so it cannot be moved to another user's row.</summary>
    public static string SlotFor(string userId) => "user/" + userId;

    private void Save(User user, byte[] publicKey, byte[] pkcs8, string password)
    {
        var parameters = Parameters;
        var salt = RandomNumberGenerator.GetBytes(16);
        var kek = KeyWrap.PassphraseKek(password, salt, parameters);
        try
        {
            var sealedKey = new byte[NonceSize + pkcs8.Length + TagSize];
            RandomNumberGenerator.Fill(sealedKey.AsSpan(0, NonceSize));
            using var aes = new AesGcm(kek, TagSize);
            aes.Encrypt(sealedKey.AsSpan(0, NonceSize), pkcs8, sealedKey.AsSpan(NonceSize, pkcs8.Length), sealedKey.AsSpan(NonceSize + pkcs8.Length), AssociatedData(user.Id));
            database.SaveUserKey(new UserKeyRecord(user.Id, publicKey, sealedKey, salt, parameters.Iterations, parameters.MemoryKiB, time.GetUtcNow()));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static byte[] AssociatedData(string userId) => [.. "dupa/v1/user-key"u8, .. Encoding.ASCII.GetBytes(userId)];
}
