using System.Security.Cryptography;

namespace Dupa.Core.Crypto;

/// <summary>
/// A device's identity: an ECDSA P-256 key pair. The device ID is SHA-256 of the public key's SPKI DER
/// (docs/format.md). Entries are signed with SHA-256 in IEEE P1363 form (64 bytes).
/// </summary>
public sealed class DeviceKey : IDisposable
{
    public const int SignatureSize = 64;

    private readonly ECDsa _key;

    private DeviceKey(ECDsa key, bool hasPrivateKey)
    {
        _key = key;
        HasPrivateKey = hasPrivateKey;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        Id = new DeviceId(SHA256.HashData(PublicKey));
    }

    public DeviceId Id { get; }

    /// <summary>SubjectPublicKeyInfo DER.</summary>
    public byte[] PublicKey { get; }

    public bool HasPrivateKey { get; }

    public static DeviceKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), hasPrivateKey: true);

    public static DeviceKey FromPrivateKey(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return new DeviceKey(key, hasPrivateKey: true);
    }

    public static DeviceKey FromPublicKey(ReadOnlySpan<byte> spki)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new CryptographicException("A device key is ECDSA P-256.");
        }
        return new DeviceKey(key, hasPrivateKey: false);
    }

    public byte[] ExportPrivateKey() => _key.ExportPkcs8PrivateKey();

    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        if (!_key.TrySignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written) || written != SignatureSize)
        {
            throw new CryptographicException("Signing failed.");
        }
    }

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => _key.Dispose();
}
