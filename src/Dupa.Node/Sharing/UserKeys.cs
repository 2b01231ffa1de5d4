using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Vaults;

namespace Dupa.Node.Sharing;

/// <summary>
/// Each user's agreement key pair (docs/sharing.md, Users' keys). Vaults shared with a user are wrapped to its public
/// half; its PKCS#8 private half is sealed under a key derived from the user's password:
/// <code>
/// kek    = Argon2id(password, salt 16, t, m) (KeyWrap.PassphraseKek)
/// sealed = nonce(12) || AES-256-GCM(kek, nonce, pkcs8, ad = "dupa/v1/user-key" || user ID) || tag(16)
/// </code>
/// The node can open it only while it is given the password (at login, unlock or password change). Each change of
/// password by the user makes a fresh pair and moves every vault key to it (<see cref="Rotate"/>); an admin reset
/// (<see cref="Reset"/>) cannot move them, so the user's shared vaults must be shared with them again.
/// </summary>
public sealed class UserKeys(NodeDatabase database, NodeOptions options, VaultSessions sessions, TimeProvider time)
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

    /// <summary>
    /// A new key pair sealed with <paramref name="password"/>, replacing any earlier one. <paramref name="setByAdmin"/>:
    /// an admin chose the password (and so could open the pair) until the user changes it.
    /// </summary>
    public void Create(User user, string password, bool setByAdmin = false)
    {
        using var key = AgreementKey.Create();
        database.SaveUserKey(Seal(user, key, password, setByAdmin));
    }

    /// <summary>
    /// The user changes their own password (they gave the old one): a fresh pair sealed with the new password
    /// replaces the old one, and every vault key the old private key opens is wrapped to the new public key, all
    /// in one transaction with the new password hash. Whatever was sealed under an earlier password (an admin's
    /// choice, a copy of <c>node.db</c>) then opens nothing current. Returns how many vault keys could not be moved
    /// (they were wrapped to a pair lost earlier, by an admin reset): those vaults must be shared again.
    /// </summary>
    public int Rotate(User user, string oldPassword, string newPassword, string newPasswordHash)
    {
        var previous = database.FindUserKey(user.Id);
        using var old = Open(user, oldPassword);
        using var fresh = AgreementKey.Create();
        var record = Seal(user, fresh, newPassword, setByAdmin: false);
        var moved = new List<RewrappedKey>();
        var memberships = database.MembershipsOf(user.Id);
        foreach (var member in old is null ? [] : memberships)
        {
            if (Rewrap(old!, fresh, member) is { } rewrapped)
            {
                moved.Add(rewrapped);
            }
        }
        database.ReplaceUserKey(user.Id, newPasswordHash, record, moved, previous?.KeyId, revokeAllTokens: false);
        return memberships.Count - moved.Count;
    }

    /// <summary>
    /// An admin sets the user's password: the node cannot open the user's private key without the old password, so
    /// a fresh pair sealed with the new one replaces it, and the vault keys wrapped to the old pair become unreadable
    /// for good (each owner must share again). The new pair is marked as set by an admin until the user changes the
    /// password. Every session and API token of the user ends. Returns the vaults shared with the user, which now
    /// need sharing again.
    /// </summary>
    public int Reset(User user, string newPassword, string newPasswordHash)
    {
        var previous = database.FindUserKey(user.Id);
        using var fresh = AgreementKey.Create();
        database.ReplaceUserKey(user.Id, newPasswordHash, Seal(user, fresh, newPassword, setByAdmin: true), [], previous?.KeyId, revokeAllTokens: true);
        return database.MembershipsOf(user.Id).Count;
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

    /// <summary>
    /// A member row's vault key moved from <paramref name="old"/> to <paramref name="fresh"/>, wrapped as
    /// <c>Vault.WrapKeyTo</c> wraps it: under the user's slot and the key epoch it was given (<c>user/ID</c> for epoch 0,
    /// <c>user/ID@N</c> after N rotations), with the vault header's ID as context. Null when the old key does not open
    /// it (it was wrapped to a pair lost earlier) or the vault's header cannot be read.
    /// </summary>
    private RewrappedKey? Rewrap(AgreementKey old, AgreementKey fresh, VaultMember member)
    {
        VaultHeader header;
        try
        {
            header = VaultHeader.Read(sessions.DirectoryOf(member.VaultId));
        }
        catch (DupaException)
        {
            return null;
        }
        var context = header.VaultIdBytes;
        for (var epoch = header.Epoch; epoch >= 0; epoch--)
        {
            var slot = VaultKeys.SlotAt(SlotFor(member.UserId), epoch);
            if (PublicKeyWrap.TryUnwrap(old, member.WrappedKey, slot, context) is not { } epochKey)
            {
                continue;
            }
            try
            {
                return new RewrappedKey(member.VaultId, member.WrappedKey, PublicKeyWrap.Wrap(fresh.PublicKey, epochKey, slot, context));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(epochKey);
            }
        }
        return null;
    }

    private UserKeyRecord Seal(User user, AgreementKey key, string password, bool setByAdmin)
    {
        var pkcs8 = key.ExportPrivateKey();
        var parameters = Parameters;
        var salt = RandomNumberGenerator.GetBytes(16);
        var kek = KeyWrap.PassphraseKek(password, salt, parameters);
        try
        {
            var sealedKey = new byte[NonceSize + pkcs8.Length + TagSize];
            RandomNumberGenerator.Fill(sealedKey.AsSpan(0, NonceSize));
            using var aes = new AesGcm(kek, TagSize);
            aes.Encrypt(sealedKey.AsSpan(0, NonceSize), pkcs8, sealedKey.AsSpan(NonceSize, pkcs8.Length), sealedKey.AsSpan(NonceSize + pkcs8.Length), AssociatedData(user.Id));
            return new UserKeyRecord(user.Id, key.PublicKey, sealedKey, salt, parameters.Iterations, parameters.MemoryKiB, time.GetUtcNow(), setByAdmin);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static byte[] AssociatedData(string userId) => [.. "dupa/v1/user-key"u8, .. Encoding.ASCII.GetBytes(userId)];
}
