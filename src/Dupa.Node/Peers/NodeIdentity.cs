using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dupa.Core.Crypto;

namespace Dupa.Node.Peers;

/// <summary>
/// The node's identity among peers (docs/protocol.md, Identity): an ECDSA P-256 key in a self-signed certificate,
/// made on first start and kept in <c>DATA/identity/peer.pfx</c>. Its device ID is SHA-256 of the public key.
/// </summary>
public sealed class NodeIdentity(X509Certificate2 certificate, AgreementKey? agreement = null) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>
    /// The ECDH key members' vault keys are wrapped to (docs/format.md, Wrapping to a public key), kept in
    /// <c>DATA/identity/agreement.key</c> (mode 0600) apart from the signing key of the certificate.
    /// </summary>
    public AgreementKey Agreement => agreement ?? throw new InvalidOperationException("This identity was loaded without its agreement key.");

    public DeviceId Id { get; } = DeviceIdOf(certificate);

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, "identity", "peer.pfx");

    public static NodeIdentity LoadOrCreate(string dataDirectory, TimeProvider time)
    {
        var agreement = LoadOrCreateAgreement(Path.Combine(dataDirectory, "identity", "agreement.key"));
        var path = PathIn(dataDirectory);
        if (File.Exists(path))
        {
            return new NodeIdentity(X509CertificateLoader.LoadPkcs12FromFile(path, password: null), agreement);
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=dupa peer {Dns.GetHostName()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        var pfx = certificate.Export(X509ContentType.Pfx);
        WritePrivate(path, pfx);
        return new NodeIdentity(X509CertificateLoader.LoadPkcs12(pfx, password: null), agreement);
    }

    private static AgreementKey LoadOrCreateAgreement(string path)
    {
        if (File.Exists(path))
        {
            return AgreementKey.FromPrivateKey(File.ReadAllBytes(path));
        }
        var key = AgreementKey.Create();
        var pkcs8 = key.ExportPrivateKey();
        WritePrivate(path, pkcs8);
        CryptographicOperations.ZeroMemory(pkcs8);
        return key;
    }

    /// <summary>Writes a file only this user can read, whole or not at all.</summary>
    internal static void WritePrivate(string path, ReadOnlySpan<byte> content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The device ID a certificate proves: SHA-256 of its SubjectPublicKeyInfo, whatever its subject or chain.</summary>
    public static DeviceId DeviceIdOf(X509Certificate certificate)
    {
        using var loaded = certificate as X509Certificate2 is { } c2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var cert = loaded ?? (X509Certificate2)certificate;
        return new DeviceId(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Parses a device ID in its printable form (or 64 hex digits); null if it is neither or a check character is wrong.</summary>
    public static DeviceId? ParseDeviceId(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 64 && trimmed.All(char.IsAsciiHexDigit))
        {
            return DeviceId.FromHex(trimmed);
        }
        return PrintableKey.TryParse(trimmed, out var bytes) ? new DeviceId(bytes) : null;
    }

    public void Dispose()
    {
        Certificate.Dispose();
        agreement?.Dispose();
    }
}
