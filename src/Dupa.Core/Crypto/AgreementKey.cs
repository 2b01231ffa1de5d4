using System.Security.Cryptography;

namespace Dupa.Core.Crypto;

/// <summary>
/// An ECDH P-256 key pair that keys are wrapped to (docs/format.md, Wrapping to a public key): a member node's
/// or a user's. It is kept apart from the ECDSA device key, so no key both signs and agrees.
/// </summary>
public sealed class AgreementKey : IDisposable
{
    private readonly ECDiffieHellman _key;

    private AgreementKey(ECDiffieHellman key, bool hasPrivateKey)
    {
        _key = key;
        HasPrivateKey = hasPrivateKey;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>SubjectPublicKeyInfo DER.</summary>
    public byte[] PublicKey { get; }

    public bool HasPrivateKey { get; }

    internal ECDiffieHellman Key => _key;

    public static AgreementKey Create() => new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256), hasPrivateKey: true);

    /// <summary>From a PKCS#8 private key; throws <see cref="CryptographicException"/> if it is not P-256.</summary>
    public static AgreementKey FromPrivateKey(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDiffieHellman.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return Checked(key, hasPrivateKey: true);
    }

    /// <summary>From a SubjectPublicKeyInfo; throws <see cref="CryptographicException"/> if it is not a P-256 point.</summary>
    public static AgreementKey FromPublicKey(ReadOnlySpan<byte> spki)
    {
        var key = ECDiffieHellman.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        return Checked(key, hasPrivateKey: false);
    }

    public byte[] ExportPrivateKey() => _key.ExportPkcs8PrivateKey();

    /// <summary>The uncompressed point 0x04 || X || Y (65 bytes).</summary>
    internal byte[] Point()
    {
        var parameters = _key.ExportParameters(false);
        return [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
    }

    private static AgreementKey Checked(ECDiffieHellman key, bool hasPrivateKey)
    {
        var curve = key.ExportParameters(false).Curve;
        if (key.KeySize != 256 || curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new CryptographicException("An agreement key is ECDH P-256.");
        }
        return new AgreementKey(key, hasPrivateKey);
    }

    public void Dispose() => _key.Dispose();
}
