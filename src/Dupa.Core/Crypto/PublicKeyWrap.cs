using System.Security.Cryptography;

namespace Dupa.Core.Crypto;

/// <summary>
/// Wraps a 32-byte key (a vault's master key, a user's private key) to an <see cref="AgreementKey"/>'s public
/// half, ECIES-style with the primitives of DESIGN.md (docs/format.md, Wrapping to a public key):
/// <code>
/// E = a fresh ECDH P-256 key pair; Z = ECDH(E, recipient) (the shared x coordinate)
/// kek = HKDF-SHA-256(ikm = Z, salt = point(E) || point(recipient), info = "dupa/v1/pk-wrap")
/// wrapped = point(E) (65) || KeyWrap(kek, key, slot, context) (60)
/// </code>
/// Only the holder of the recipient's private key can unwrap; the slot name and context (a vault ID) are bound
/// as associated data, so a wrapped key cannot be moved to another slot or vault.
/// </summary>
public static class PublicKeyWrap
{
    public const int PointSize = 65;
    public const int WrappedSize = PointSize + KeyWrap.WrappedSize;

    public static byte[] Wrap(ReadOnlySpan<byte> recipientSpki, ReadOnlySpan<byte> key, string slot, ReadOnlySpan<byte> context)
    {
        using var recipient = AgreementKey.FromPublicKey(recipientSpki);
        using var ephemeral = AgreementKey.Create();
        return Wrap(ephemeral, recipient, key, slot, context);
    }

    /// <summary>Wraps with a given ephemeral key: for test vectors only, since reusing one breaks the scheme.</summary>
    internal static byte[] Wrap(AgreementKey ephemeral, AgreementKey recipient, ReadOnlySpan<byte> key, string slot, ReadOnlySpan<byte> context)
    {
        var ephemeralPoint = ephemeral.Point();
        var kek = Kek(ephemeral, recipient, ephemeralPoint, recipient.Point());
        try
        {
            return [.. ephemeralPoint, .. KeyWrap.Wrap(kek, key, slot, context)];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>The wrapped key, or null when it was not wrapped to <paramref name="recipient"/> (or was altered).</summary>
    public static byte[]? TryUnwrap(AgreementKey recipient, ReadOnlySpan<byte> wrapped, string slot, ReadOnlySpan<byte> context)
    {
        if (wrapped.Length != WrappedSize || !recipient.HasPrivateKey || wrapped[0] != 0x04)
        {
            return null;
        }
        AgreementKey ephemeral;
        try
        {
            using var imported = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = wrapped.Slice(1, 32).ToArray(), Y = wrapped.Slice(33, 32).ToArray() },
            });
            ephemeral = AgreementKey.FromPublicKey(imported.ExportSubjectPublicKeyInfo());
        }
        catch (CryptographicException)
        {
            return null; // not a point on the curve
        }
        using (ephemeral)
        {
            var kek = Kek(recipient, ephemeral, wrapped[..PointSize].ToArray(), recipient.Point());
            try
            {
                return KeyWrap.TryUnwrap(kek, wrapped[PointSize..], slot, context);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(kek);
            }
        }
    }

    private static byte[] Kek(AgreementKey own, AgreementKey other, byte[] ephemeralPoint, byte[] recipientPoint)
    {
        var shared = own.Key.DeriveRawSecretAgreement(other.Key.PublicKey);
        var kek = new byte[KeyRing.KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, kek, [.. ephemeralPoint, .. recipientPoint], "dupa/v1/pk-wrap"u8);
        CryptographicOperations.ZeroMemory(shared);
        return kek;
    }
}
