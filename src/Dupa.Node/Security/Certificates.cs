using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Dupa.Node.Security;

/// <summary>The node's TLS certificate: the user's own, or a self-signed one made on first start and kept.</summary>
public static class Certificates
{
    public static X509Certificate2 LoadOrCreate(NodeOptions options, TimeProvider time)
    {
        if (options.CertificatePath is { } path)
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        }
        var generated = Path.Combine(options.Data, "tls", "node.pfx");
        if (File.Exists(generated))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(generated, password: null);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(generated)!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=dupa node {Dns.GetHostName()}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Dns.GetHostName());
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        var pfx = certificate.Export(X509ContentType.Pfx);
        File.WriteAllBytes(generated, pfx);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(generated, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    /// <summary>The SHA-256 fingerprint that clients pin, as colon-separated hex.</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', SHA256.HashData(certificate.RawData).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
