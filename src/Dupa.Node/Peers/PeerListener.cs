using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Dupa.Core.Errors;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>
/// Kestrel's endpoints when the node listens for peers: the API's URLs as given, plus the peer port with TLS 1.3,
/// HTTP/2 and a required client certificate whose key must be pinned (docs/protocol.md, Transport). Explicit
/// endpoints replace <c>--urls</c> in Kestrel, so the API's are declared here too.
/// </summary>
public static partial class PeerListener
{
    /// <summary>When each refused device was last logged: once a minute is enough to see it, not to flood the log.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> LastRefusal = new(StringComparer.Ordinal);

    public static void Configure(KestrelServerOptions kestrel, string urls, X509Certificate2? apiCertificate, string peerListen, NodeIdentity identity,
        PeerRegistry peers, PeerInvites invites, IServiceProvider services)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = UrlPattern().Match(url.Trim());
            if (!match.Success)
            {
                throw new DupaException(ErrorCode.InvalidInput, $"'{url}' is not scheme://host:port");
            }
            var https = match.Groups["scheme"].Value.Equals("https", StringComparison.OrdinalIgnoreCase);
            Listen(kestrel, match.Groups["host"].Value, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture), listen =>
            {
                if (https)
                {
                    listen.UseHttps(apiCertificate!);
                }
            });
        }
        if (!PeerRegistry.TryParseAddress(peerListen, out var host, out var port))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"--peer-listen '{peerListen}' is not HOST:PORT");
        }
        Listen(kestrel, host, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = identity.Certificate,
                SslProtocols = SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                // Self-signed on both sides: the pinned key is the only thing that counts.
                ClientCertificateValidation = (certificate, _, _) =>
                {
                    var id = NodeIdentity.DeviceIdOf(certificate);
                    // While an invite is outstanding any certificate gets through the handshake; only the join
                    // request answers an unpinned one (PeerEndpoints).
                    if (peers.IsPinned(id) || invites.AnyOutstanding)
                    {
                        return true;
                    }
                    var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
                    if (!LastRefusal.TryGetValue(id.Hex, out var last) || now - last > TimeSpan.FromMinutes(1))
                    {
                        LastRefusal[id.Hex] = now;
                        LogRefused(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PeerListener)), id.ToString());
                    }
                    return false;
                },
            });
        });
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions> configure)
    {
        if (host is "*" or "+")
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            kestrel.Listen(address, port, configure);
        }
        else
        {
            throw new DupaException(ErrorCode.InvalidInput, $"listen on an IP address, localhost or *, not '{host}'");
        }
    }

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[^\]]+\]|[^:/]+):(?<port>\d{1,5})/?$", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused a peer connection: device {Device} is not pinned")]
    private static partial void LogRefused(ILogger logger, string device);
}
